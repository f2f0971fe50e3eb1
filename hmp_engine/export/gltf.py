"""glTF 2.0 binary (.glb): each hand a skinned mesh on the shared skeleton (export.skeleton), one animation.

Layout: per hand, two scene roots: the joint tree (``{side}_wrist`` ...) and the mesh ``{side}_hand_mesh``
skinned to it by the skin ``{side}_hand``. Joint nodes rest at their offset from the parent without rotation
(world-aligned rest frames), so a joint's animated rotation is its MANO rotation. The animation "take" keys every
frame at frame / fps seconds from 0: the wrist's translation and rotation and every finger joint's rotation, LINEAR
(SLERP between keys); the fingertips are not animated. A hand that is not valid on some frames (export.skeleton)
also has a STEP "scale" channel on its wrist: 1 where it is valid, 0 where it is hidden. glTF is y-up by its
specification; ``up="z"`` writes z-up coordinates for pipelines that want them (as Blender's exporter does with
"+Y up" off). The scene's extras record the fps, up axis and scale. Built with pygltflib.
"""

from __future__ import annotations

import os

import numpy as np
import pygltflib
import trimesh
from pygltflib import (
    GLTF2,
    Accessor,
    Animation,
    AnimationChannel,
    AnimationChannelTarget,
    AnimationSampler,
    Asset,
    Attributes,
    Buffer,
    BufferView,
    Mesh,
    Node,
    Primitive,
    Scene,
    Skin,
)

from hmp_engine.export.output import write_output
from hmp_engine.export.skeleton import NUM_ARTICULATED, Skeleton, quaternion_tracks

_COMPONENTS = {np.dtype(np.float32): pygltflib.FLOAT, np.dtype(np.uint8): pygltflib.UNSIGNED_BYTE,
               np.dtype(np.uint32): pygltflib.UNSIGNED_INT}
_TYPES = {(): pygltflib.SCALAR, (3,): pygltflib.VEC3, (4,): pygltflib.VEC4, (4, 4): pygltflib.MAT4}


class _Accessors:
    """Typed arrays packed into the file's one binary buffer, each behind its own 4-byte aligned buffer view."""

    def __init__(self, gltf: GLTF2) -> None:
        self.gltf, self.blob = gltf, bytearray()

    def add(self, array: np.ndarray, target: int | None = None, bounds: bool = False) -> int:
        """Append an array (float32, uint8 or uint32; rows of scalars, 3/4-vectors or 4x4 matrices); its accessor."""
        array = np.ascontiguousarray(array)
        self.blob += b"\0" * (-len(self.blob) % 4)
        self.gltf.bufferViews.append(BufferView(buffer=0, byteOffset=len(self.blob), byteLength=array.nbytes,
                                                target=target))
        self.blob += array.tobytes()
        flat = array.reshape(len(array), -1)
        self.gltf.accessors.append(Accessor(
            bufferView=len(self.gltf.bufferViews) - 1, componentType=_COMPONENTS[array.dtype], count=len(array),
            type=_TYPES[array.shape[1:]], min=flat.min(axis=0).tolist() if bounds else None,
            max=flat.max(axis=0).tolist() if bounds else None))
        return len(self.gltf.accessors) - 1


def _influences(weights: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(JOINTS_n, WEIGHTS_n) sets of four of each vertex's strongest bones, as many sets as the mesh needs."""
    order = np.argsort(-weights, axis=1, kind="stable")
    sets = -(-int((weights > 0).sum(axis=1).max()) // 4)
    joints = order[:, :4 * sets]
    strengths = np.take_along_axis(weights, joints, axis=1)
    strengths /= strengths.sum(axis=1, keepdims=True)
    joints = np.where(strengths > 0, joints, 0)
    return [(joints[:, 4 * k:4 * k + 4].astype(np.uint8), strengths[:, 4 * k:4 * k + 4].astype(np.float32))
            for k in range(sets)]


def _add_mesh(gltf: GLTF2, accessors: _Accessors, side: str, skeleton: Skeleton) -> int:
    """The skinned mesh of a hand in its rest pose (positions, normals, bone influences, triangles); its index."""
    vertices = skeleton.vertices.astype(np.float32)
    normals = trimesh.Trimesh(skeleton.vertices, skeleton.faces, process=False).vertex_normals.astype(np.float32)
    attributes = {"POSITION": accessors.add(vertices, pygltflib.ARRAY_BUFFER, bounds=True),
                  "NORMAL": accessors.add(normals, pygltflib.ARRAY_BUFFER)}
    for index, (joints, strengths) in enumerate(_influences(skeleton.weights)):
        attributes[f"JOINTS_{index}"] = accessors.add(joints, pygltflib.ARRAY_BUFFER)
        attributes[f"WEIGHTS_{index}"] = accessors.add(strengths, pygltflib.ARRAY_BUFFER)
    indices = accessors.add(skeleton.faces.reshape(-1).astype(np.uint32), pygltflib.ELEMENT_ARRAY_BUFFER)
    gltf.meshes.append(Mesh(name=f"{side}_hand_mesh",
                            primitives=[Primitive(attributes=Attributes(**attributes), indices=indices)]))
    return len(gltf.meshes) - 1


def _add_hand(gltf: GLTF2, accessors: _Accessors, side: str, skeleton: Skeleton) -> list[int]:
    """The hand's joint tree, skin and skinned mesh, both scene roots; returns the node index of each bone."""
    first = len(gltf.nodes)
    joints = list(range(first, first + len(skeleton.names)))
    children = {j: [joints[k] for k, parent in enumerate(skeleton.parents) if parent == j] for j in range(len(joints))}
    gltf.nodes += [Node(name=name, translation=offset.tolist(), children=children[j])
                   for j, (name, offset) in enumerate(zip(skeleton.names, skeleton.offsets))]
    inverse_bind = np.tile(np.eye(4, dtype=np.float32), (len(joints), 1, 1))
    inverse_bind[:, 3, :3] = -skeleton.rest  # column-major storage of a translation by -rest
    gltf.skins.append(Skin(name=f"{side}_hand", joints=joints, skeleton=joints[0],
                           inverseBindMatrices=accessors.add(inverse_bind)))
    gltf.nodes.append(Node(name=f"{side}_hand_mesh", mesh=_add_mesh(gltf, accessors, side, skeleton),
                           skin=len(gltf.skins) - 1))
    gltf.scenes[0].nodes += [joints[0], len(gltf.nodes) - 1]
    return joints


def _animate(gltf: GLTF2, accessors: _Accessors, times: int, joints: list[int], skeleton: Skeleton) -> None:
    """Channels of one hand in the animation: wrist translation, then the rotation of every articulated bone."""
    animation = gltf.animations[0]
    tracks = [(joints[0], "translation", skeleton.root)]
    quaternions = quaternion_tracks(skeleton.rotations)
    tracks += [(joints[j], "rotation", quaternions[:, j]) for j in range(NUM_ARTICULATED)]
    for node, path, values in tracks:
        output = accessors.add(values.astype(np.float32))
        animation.samplers.append(AnimationSampler(input=times, output=output, interpolation=pygltflib.ANIM_LINEAR))
        animation.channels.append(AnimationChannel(sampler=len(animation.samplers) - 1,
                                                   target=AnimationChannelTarget(node=node, path=path)))
    if not skeleton.visible.all():
        shown = np.repeat(skeleton.visible.astype(np.float32)[:, None], 3, axis=1)
        animation.samplers.append(AnimationSampler(input=times, output=accessors.add(shown),
                                                   interpolation=pygltflib.ANIM_STEP))
        animation.channels.append(AnimationChannel(sampler=len(animation.samplers) - 1,
                                                   target=AnimationChannelTarget(node=joints[0], path="scale")))


def write_glb(path: str | os.PathLike, skeletons: dict[str, Skeleton], fps: float, up: str, scale: float) -> None:
    """Write the hands' skinned meshes and animation as a .glb atomically. Raises ExportError."""
    gltf = GLTF2(asset=Asset(generator="HMP Studio", version="2.0"), scene=0,
                 scenes=[Scene(name="hands", nodes=[], extras={"fps": fps, "up": up, "scale": scale})],
                 animations=[Animation(name="take", channels=[], samplers=[])])
    accessors = _Accessors(gltf)
    frames = next(iter(skeletons.values())).num_frames
    times = accessors.add((np.arange(frames) / fps).astype(np.float32), bounds=True)
    for side, skeleton in skeletons.items():
        _animate(gltf, accessors, times, _add_hand(gltf, accessors, side, skeleton), skeleton)
    gltf.buffers = [Buffer(byteLength=len(accessors.blob))]
    gltf.set_binary_blob(bytes(accessors.blob))
    write_output(path, b"".join(gltf.save_to_bytes()))
