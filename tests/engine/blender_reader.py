"""What Blender's importers make of an exported file, read in a Blender child process.

Blender never loads into the test process: its bundled libraries, once in a process, crashed the Qt tests that ran
after the export tests in the same session. The product writes FBX from a child process for the same reason.
This module imports only numpy at the top, so the child starts quickly.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

IMPORTERS = {".fbx": "import_scene.fbx", ".glb": "import_scene.gltf", ".bvh": "import_anim.bvh"}
FINGERTIP_PARENTS = (15, 3, 6, 12, 9)
"""MANO-21 joints 16-20 (the fingertips) as tails of these bones: BVH end sites make no bone."""


@dataclass
class BlenderScene:
    """The scene an importer built: its frame rate, each armature's action range and root bones, bone heads per
    frame from the first keyed frame on, and the world positions of mesh vertices at one frame."""

    fps: float
    frame_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    roots: dict[str, list[str]] = field(default_factory=dict)
    joints: dict[str, np.ndarray] = field(default_factory=dict)
    meshes: dict[str, np.ndarray] = field(default_factory=dict)


def blender_process() -> ProcessPoolExecutor:
    """One Blender child process; submit `import_into_blender` to it."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def import_into_blender(path: Path, bones: dict[str, list[str]], frames: int, options: dict | None = None,
                        scene_fps: float | None = None, tips_as_tails: bool = False,
                        mesh_frame: int | None = None) -> BlenderScene:
    """Import ``path`` into an empty scene with the importer of its suffix (and ``options``) and read it back.

    ``bones`` maps a name to the 21 bone names whose heads to read, for ``frames`` frames from the first keyed
    one; ``scene_fps`` sets the scene's rate before importing (glTF keys are in seconds); with ``mesh_frame``
    every mesh's deformed vertices are read at that frame after the first keyed one.
    """
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    if scene_fps is not None:
        scene.render.fps = round(scene_fps)
    group, operator = IMPORTERS[path.suffix].split(".")
    getattr(getattr(bpy.ops, group), operator)(filepath=str(path), **(options or {}))
    armatures = [item for item in scene.objects if item.type == "ARMATURE"]
    result = BlenderScene(fps=scene.render.fps / scene.render.fps_base)
    for armature in armatures:
        result.frame_ranges[armature.name] = tuple(armature.animation_data.action.frame_range)
        result.roots[armature.name] = [bone.name for bone in armature.data.bones if bone.parent is None]
    first = int(min(start for start, _ in result.frame_ranges.values()))
    for name, names in bones.items():
        result.joints[name] = _bone_heads(bpy, armatures, names, range(first, first + frames), tips_as_tails)
    if mesh_frame is not None:
        scene.frame_set(first + mesh_frame)
        for item in scene.objects:
            if item.type == "MESH":
                result.meshes[item.name] = _deformed_vertices(bpy, item)
    return result


def _bone_heads(bpy, armatures: list, names: list[str], frames: range, tips_as_tails: bool) -> np.ndarray:
    """(T, 21, 3) world positions of the named bones' heads at each frame (fingertips as tails if asked)."""
    bones = {bone.name: (armature, bone) for armature in armatures for bone in armature.pose.bones}
    positions = np.zeros((len(frames), len(names), 3))
    for index, frame in enumerate(frames):
        bpy.context.scene.frame_set(frame)
        for joint, name in enumerate(names):
            if tips_as_tails and joint >= 16:
                armature, bone = bones[names[FINGERTIP_PARENTS[joint - 16]]]
                point = bone.tail
            else:
                armature, bone = bones[name]
                point = bone.head
            positions[index, joint] = np.array(armature.matrix_world @ point)
    return positions


def _deformed_vertices(bpy, mesh_object) -> np.ndarray:
    """(V, 3) world positions of a mesh object's vertices, deformed by its modifiers, at the current frame."""
    evaluated = mesh_object.evaluated_get(bpy.context.evaluated_depsgraph_get())
    mesh = evaluated.to_mesh()
    points = np.zeros(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", points)
    evaluated.to_mesh_clear()
    matrix = np.array(mesh_object.matrix_world)
    return points.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3]
