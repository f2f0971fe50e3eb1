"""FBX through Blender as a Python module (``bpy``): per hand an armature of the shared skeleton and its skinned mesh.

The scene is built in Blender's own frame (z up, metres: export.skeleton with up "z", scale 1); Blender's FBX
exporter then converts it to the chosen up axis (y: forward -Z, what Maya, Unity and Unreal expect; z: Blender's
own) and multiplies lengths by the scale, and the file's header says both: its up axis, and its unit as
UnitScaleFactor = 100 / scale centimetres (scale 1: metres, 100: centimetres, Unreal's unit). Importers that read
the header, Blender's included, therefore get the hand at its real size either way.

Armature ``{side}_hand``: a bone per joint named as in export.skeleton, head at the joint, tail at the next joint
of its finger (the wrist's at the middle finger's base, a tip's past the fingertip), rolled so every bone's Z axis
points out of the back of the hand; the 16 articulated bones deform the mesh ``{side}_hand_mesh`` with the model's
blend weights. Animation: one key per frame at the video's frame rate, baked by the exporter with no
simplification and no leaf bones; the wrist carries the root motion. Needs ``pip install bpy==5.0.1`` (Blender 5.0
for Python 3.11). Each export runs Blender in a fresh child process: bpy is one scene per process and crashes
when a second thread drives it, and a crash there must cost the export, never the studio and its unsaved edits.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
from types import ModuleType
from typing import Any

import numpy as np

from hmp_engine.export.blender_child import one_line, run_in_blender_child
from hmp_engine.export.errors import ExportError
from hmp_engine.export.output import output_path
from hmp_engine.export.skeleton import BONE_NAMES, NUM_ARTICULATED, Skeleton, quaternion_tracks

BPY_REQUIREMENT = "bpy==5.0.1"
FBX_AXES = {"y": ("Y", "-Z"), "z": ("Z", "Y")}
"""(up, forward) axes the exporter writes for each up-axis choice."""

WRIST_TAIL = BONE_NAMES.index("middle1")
TIP_BONE_LENGTH = 0.5
"""A fingertip bone's length as a share of its parent bone's."""

def missing_bpy(reason: object) -> ExportError:
    """The error for a missing Blender module, naming the fix."""
    return ExportError(f"FBX export needs Blender as a Python module: pip install {BPY_REQUIREMENT} (Python 3.11) "
                       f"({reason})")


def import_bpy() -> ModuleType:
    """The ``bpy`` module; ExportError saying how to install it when it is missing."""
    try:
        import bpy
    except ImportError as error:
        raise missing_bpy(error) from error
    return bpy


def _bone_tails(skeleton: Skeleton) -> np.ndarray:
    """(21, 3) tail of each bone: its finger's next joint, the middle finger's base for the wrist, past a tip."""
    tails = np.empty_like(skeleton.rest)
    for joint, parent in enumerate(skeleton.parents):
        children = [k for k, p in enumerate(skeleton.parents) if p == joint]
        if joint == 0:
            tails[joint] = skeleton.rest[WRIST_TAIL]
        elif children:
            tails[joint] = skeleton.rest[children[0]]
        else:
            tails[joint] = skeleton.rest[joint] + TIP_BONE_LENGTH * (skeleton.rest[joint] - skeleton.rest[parent])
    return tails


def _armature(bpy: ModuleType, side: str, skeleton: Skeleton) -> Any:
    """The armature object of a hand in its rest pose (edit bones from the skeleton's rest joints)."""
    armature = bpy.data.objects.new(f"{side}_hand", bpy.data.armatures.new(f"{side}_hand"))
    bpy.context.scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    bones: list[Any] = []  # Blender edit bones
    for joint, (name, head, tail) in enumerate(zip(skeleton.names, skeleton.rest, _bone_tails(skeleton))):
        bone = armature.data.edit_bones.new(name)
        bone.head, bone.tail = head.tolist(), tail.tolist()
        bone.align_roll((0.0, 0.0, 1.0))  # back of the hand (z up)
        bone.use_deform = joint < NUM_ARTICULATED
        if skeleton.parents[joint] >= 0:
            bone.parent = bones[skeleton.parents[joint]]
        bones.append(bone)
    bpy.ops.object.mode_set(mode="OBJECT")
    return armature


def _skinned_mesh(bpy: ModuleType, side: str, skeleton: Skeleton, armature: Any) -> None:
    """The hand's rest mesh, parented to the armature and deformed by it through vertex groups."""
    mesh = bpy.data.meshes.new(f"{side}_hand_mesh")
    mesh.from_pydata(skeleton.vertices.tolist(), [], skeleton.faces.tolist())
    mesh.shade_smooth()
    mesh_object = bpy.data.objects.new(f"{side}_hand_mesh", mesh)
    bpy.context.scene.collection.objects.link(mesh_object)
    mesh_object.parent = armature
    for joint in range(NUM_ARTICULATED):
        group = mesh_object.vertex_groups.new(name=skeleton.names[joint])
        for vertex in np.flatnonzero(skeleton.weights[:, joint] > 0):
            group.add([int(vertex)], float(skeleton.weights[vertex, joint]), "REPLACE")
    mesh_object.modifiers.new("armature", "ARMATURE").object = armature


def _pose_tracks(skeleton: Skeleton, rest_frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blender pose channels: (T, 16, 4) w-first quaternions and the wrist's (T, 3) location, in bone frames.

    A pose bone's rotation is relative to its rest frame B (rest_frames (21, 3, 3), armature space), so a
    skeleton rotation R, given in world-aligned joint frames, becomes B^T R B; the wrist's location likewise.
    """
    frames = rest_frames[:NUM_ARTICULATED]
    local = np.einsum("jba,tjbc,jcd->tjad", frames, skeleton.rotations, frames)
    location = (skeleton.root - skeleton.rest[0]) @ rest_frames[0]
    return quaternion_tracks(local)[..., [3, 0, 1, 2]], location


def _animate(bpy: ModuleType, armature: Any, skeleton: Skeleton) -> None:
    """A key per frame on every articulated bone (rotation) and on the wrist (location, and its stepped scale where
    the hand is hidden on some frames), for the exporter to bake."""
    armature.animation_data_create()
    action = armature.animation_data.action = bpy.data.actions.new(armature.name)
    rest_frames = np.array([np.array(armature.data.bones[name].matrix_local)[:3, :3] for name in skeleton.names])
    quaternions, location = _pose_tracks(skeleton, rest_frames)
    tracks = [(skeleton.names[0], "location", location)]
    tracks += [(skeleton.names[j], "rotation_quaternion", quaternions[:, j]) for j in range(NUM_ARTICULATED)]
    if not skeleton.visible.all():  # the wrist's scale, stepped: 1 where valid, 0 where hidden (export.skeleton)
        tracks.append((skeleton.names[0], "scale", np.repeat(skeleton.visible.astype(np.float64)[:, None], 3, axis=1)))
    frames = np.arange(skeleton.num_frames, dtype=np.float64)
    for bone, channel, values in tracks:
        for index in range(values.shape[1]):
            curve = action.fcurve_ensure_for_datablock(armature, f'pose.bones["{bone}"].{channel}', index=index,
                                                       group_name=bone)
            curve.keyframe_points.add(len(frames))
            curve.keyframe_points.foreach_set("co", np.column_stack([frames, values[:, index]]).ravel())
            if channel == "scale":
                curve.keyframe_points.foreach_set("interpolation", [0] * len(frames))  # CONSTANT
            curve.update()


def _set_timing(scene: Any, fps: float, frames: int) -> None:
    """Scene frame rate (an integer rate and a divisor, as Blender stores it) and frames 0 .. T-1."""
    scene.render.fps = max(1, round(fps))
    scene.render.fps_base = scene.render.fps / fps
    scene.frame_start, scene.frame_end = 0, frames - 1


def write_fbx(path: str | os.PathLike, skeletons: dict[str, Skeleton], fps: float, up: str, scale: float) -> None:
    """Write the hands (skeletons in Blender's frame: up "z", scale 1) as an .fbx atomically, with Blender in a
    child process (`blender_child`). Raises ExportError (one line), also when Blender crashes."""
    if importlib.util.find_spec("bpy") is None:  # say so here rather than after starting Blender's process
        raise missing_bpy("no module named 'bpy'")
    run_in_blender_child(write_fbx_in_process, path, skeletons, fps, up, scale)


def write_fbx_in_process(path: str | os.PathLike, skeletons: dict[str, Skeleton], fps: float, up: str,
                         scale: float) -> None:
    """`write_fbx` in this process, which must not have run Blender from another thread."""
    bpy = import_bpy()
    with contextlib.redirect_stdout(io.StringIO()):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        _set_timing(scene, fps, next(iter(skeletons.values())).num_frames)
        scene.unit_settings.scale_length = 1.0 / scale
        for side, skeleton in skeletons.items():
            armature = _armature(bpy, side, skeleton)
            _skinned_mesh(bpy, side, skeleton, armature)
            _animate(bpy, armature, skeleton)
        axis_up, axis_forward = FBX_AXES[up]
        with output_path(path) as temp:
            try:
                result = bpy.ops.export_scene.fbx(
                    filepath=str(temp), object_types={"ARMATURE", "MESH"}, use_mesh_modifiers=False,
                    apply_unit_scale=True, apply_scale_options="FBX_SCALE_UNITS", global_scale=scale,
                    axis_up=axis_up, axis_forward=axis_forward, add_leaf_bones=False, bake_anim=True,
                    bake_anim_use_all_bones=True, bake_anim_use_nla_strips=False, bake_anim_use_all_actions=False,
                    bake_anim_force_startend_keying=True, bake_anim_step=1.0, bake_anim_simplify_factor=0.0)
            except RuntimeError as error:
                raise ExportError(f"Blender could not write '{path}': {one_line(error)}") from error
            if result != {"FINISHED"}:
                raise ExportError(f"Blender could not write '{path}' ({', '.join(sorted(result))})")
