"""Shared by the export tests: a real two-hand fit of the sample, and readers of exported files that share no code
with the writers (assimp's FBX reader, glTF node evaluation per the specification; Blender's importers are in
blender_reader)."""

from __future__ import annotations

import functools
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pygltflib
import torch
from scipy.spatial.transform import Rotation

from hmp_engine.detection import detect_video
from hmp_engine.fitting import default_prior_path, fit_project, preset
from hmp_engine.fitting.mirror import side_by_side_mirror
from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.session import Project, VideoRef
from tests.paths import SAMPLE_VIDEO

FRAMES = 30
"""Frames of the sample fitted: a second, enough for real motion, short enough for a fast suite."""

CAMERA_TO = {"y": np.diag([1.0, -1.0, -1.0]), "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])}
"""Camera frame (x right, y down, z forward) -> y-up (z toward the viewer) and z-up (y away from the viewer)."""

MANO21_NAMES = ("wrist", "index1", "index2", "index3", "middle1", "middle2", "middle3", "pinky1", "pinky2", "pinky3",
                "ring1", "ring2", "ring3", "thumb1", "thumb2", "thumb3",
                "thumb_tip", "index_tip", "middle_tip", "ring_tip", "pinky_tip")
"""The bone names the README promises, in MANO-21 order (written out here so a renamed bone fails the tests)."""


@functools.cache
def two_hand_project() -> Project:
    """The sample's first FRAMES frames beside their mirror image (a right and a left hand), fitted briefly."""
    scene = side_by_side_mirror(detect_video(SAMPLE_VIDEO, max_frames=FRAMES))
    project = Project(VideoRef.from_file(SAMPLE_VIDEO), scene)
    models = {side: load_hand_model("open", side) for side in ("right", "left")}
    settings = preset("wild").with_iterations(15, 15)
    project.fits.update(fit_project(project, models, settings, load_prior(default_prior_path())).fits)
    return project


@functools.cache
def fitted_hands(side: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, 21, 3) joints and (T, V, 3) vertices of a fitted hand as the hand model poses them (camera frame)."""
    fit = two_hand_project().fits[side].arrays
    inputs = [torch.as_tensor(fit[name], dtype=torch.float32) for name in ("global_orient", "hand_pose", "betas",
                                                                           "transl")]
    with torch.no_grad():
        output = load_hand_model("open", side)(*inputs)
    return output.joints.double().numpy(), output.vertices.double().numpy()


def in_export_frame(points: np.ndarray, up: str, scale: float = 1.0) -> np.ndarray:
    """Camera-frame points in the export frame of ``up``, times ``scale``."""
    return points @ CAMERA_TO[up].T * scale


def bone_names(side: str) -> list[str]:
    """The 21 bone names of one side."""
    return [f"{side}_{name}" for name in MANO21_NAMES]


# ---- assimp: the FBX as its own reader sees it --------------------------------------------------------------


def _assimp_dump(path: Path) -> ElementTree.Element:
    """The root of assimp's XML dump of a file."""
    dump = path.with_suffix(".assxml")
    subprocess.run(["assimp", "dump", str(path), str(dump)], check=True, capture_output=True)
    return ElementTree.parse(dump).getroot()


def _numbers(element: ElementTree.Element) -> np.ndarray:
    return np.array(element.text.split(), dtype=np.float64)


def assimp_nodes(path: Path) -> tuple[dict[str, np.ndarray], float]:
    """(T, 3) world position of every node in the file's coordinates, and the animation's ticks per second.

    Node transforms are row-major 4x4; an animated node's local transform is T * R * S of its keys (assimp's
    quaternions are dumped x, y, z, w).
    """
    root = _assimp_dump(path)
    animation = root.find("Scene/AnimationList/Animation")
    keys = {channel.get("node"): {kind: np.array([_numbers(key) for key in channel.findall(f"{kind}KeyList/{kind}Key")])
                                  for kind in ("Position", "Rotation", "Scaling")}
            for channel in animation.findall("NodeAnimList/NodeAnim")}
    frames = len(next(iter(keys.values()))["Position"])
    world: dict[str, np.ndarray] = {}

    def walk(node: ElementTree.Element, parent: np.ndarray) -> None:
        local = np.tile(_numbers(node.find("Matrix4")).reshape(4, 4), (frames, 1, 1))
        if (channel := keys.get(node.get("name"))) is not None:
            local[:, :3, :3] = Rotation.from_quat(channel["Rotation"]).as_matrix() * channel["Scaling"][:, None]
            local[:, :3, 3] = channel["Position"]
        world[node.get("name")] = parent @ local
        for child in node.findall("NodeList/Node"):
            walk(child, world[node.get("name")])

    walk(root.find("Scene/Node"), np.eye(4))
    return {name: matrices[:, :3, 3] for name, matrices in world.items()}, float(animation.get("tick_cnt"))


# ---- glTF: the file evaluated as the specification says ------------------------------------------------------


class GltfReader:
    """A .glb's nodes, skins and first animation, evaluated per key frame (translation, rotation, scale)."""

    def __init__(self, path: Path) -> None:
        self.gltf = pygltflib.GLTF2.load(str(path))
        self.blob = self.gltf.binary_blob()
        self.parents = {child: index for index, node in enumerate(self.gltf.nodes) for child in node.children or []}
        self.nodes = {node.name: index for index, node in enumerate(self.gltf.nodes)}
        animation = self.gltf.animations[0]
        self.times = self.accessor(animation.samplers[0].input)[:, 0]
        self.tracks = {(channel.target.node, channel.target.path):
                       self.accessor(animation.samplers[channel.sampler].output) for channel in animation.channels}

    def accessor(self, index: int) -> np.ndarray:
        """An accessor's data as (count, components)."""
        accessor = self.gltf.accessors[index]
        view = self.gltf.bufferViews[accessor.bufferView]
        dtype = {5126: np.float32, 5121: np.uint8, 5123: np.uint16, 5125: np.uint32}[accessor.componentType]
        width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4, "MAT4": 16}[accessor.type]
        return np.frombuffer(self.blob, dtype, accessor.count * width,
                             view.byteOffset + (accessor.byteOffset or 0)).reshape(accessor.count, width)

    def local(self, node: int, frame: int) -> np.ndarray:
        """A node's local matrix at a key frame: T * R * S, animated channels replacing the node's own."""
        own = self.gltf.nodes[node]
        values = {path: self.tracks[(node, path)][frame] if (node, path) in self.tracks else default
                  for path, default in (("translation", own.translation or [0, 0, 0]),
                                        ("rotation", own.rotation or [0, 0, 0, 1]), ("scale", own.scale or [1, 1, 1]))}
        matrix = np.eye(4)
        matrix[:3, :3] = Rotation.from_quat(values["rotation"]).as_matrix() * np.asarray(values["scale"])
        matrix[:3, 3] = values["translation"]
        return matrix

    def world(self, node: int, frame: int) -> np.ndarray:
        """A node's world matrix at a key frame."""
        matrix = self.local(node, frame)
        while node in self.parents:
            node = self.parents[node]
            matrix = self.local(node, frame) @ matrix
        return matrix

    def joints(self, names: list[str]) -> np.ndarray:
        """(T, 21, 3) world positions of the named nodes at every key frame."""
        return np.array([[self.world(self.nodes[name], frame)[:3, 3] for name in names]
                         for frame in range(len(self.times))])

    def skinned_vertices(self, mesh_node: str, frame: int) -> np.ndarray:
        """(V, 3) the skinned mesh of a node at a key frame: sum of weight * joint world * inverse bind * vertex."""
        node = self.gltf.nodes[self.nodes[mesh_node]]
        skin = self.gltf.skins[node.skin]
        primitive = self.gltf.meshes[node.mesh].primitives[0]
        inverse_bind = self.accessor(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
        joint_matrices = np.array([self.world(joint, frame) for joint in skin.joints]) @ inverse_bind
        positions = self.accessor(primitive.attributes.POSITION)
        points = np.c_[positions, np.ones(len(positions))]
        skinned = np.zeros_like(points)
        for index in range(4):
            joints_name, weights_name = f"JOINTS_{index}", f"WEIGHTS_{index}"
            if getattr(primitive.attributes, joints_name, None) is None:
                break
            joints = self.accessor(getattr(primitive.attributes, joints_name)).astype(int)
            weights = self.accessor(getattr(primitive.attributes, weights_name))
            for slot in range(4):
                skinned += weights[:, slot, None] * np.einsum("vij,vj->vi", joint_matrices[joints[:, slot]], points)
        return skinned[:, :3]
