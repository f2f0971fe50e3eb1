"""Build the open-hand model files (MANO file format) from the MIT WebXR generic-hand meshes.

    python tools/build_open_hand.py   # writes resources/models/open_hand_{right,left}.pkl

Steps: read the skinned glTF mesh; map its 25 OpenXR joints to the 16 MANO joints (the four finger metacarpals
go to the wrist); move it into MANO's canonical frame with a similarity transform; retarget every bone so the
rest skeleton is MANO's (each finger bone rotated and stretched onto its MANO counterpart, the palm bent by
interpolating the joint offsets); then derive a joint regressor, fingertip vertices, and ten shape directions
with a stated meaning. The left model is the exact mirror of the right one (x negated, faces flipped), so a
left pose is the right pose with the y and z components of every axis-angle negated.
See resources/models/MODEL_CARD.md for what the file holds and how it differs from MANO.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pygltflib
from scipy.optimize import lsq_linear
from scipy.spatial.transform import Rotation

from hmp_engine.anatomy import MANO_REST_JOINTS  # published MANO figures (docs/conventions.md, Canonical hand frame)

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "resources" / "hand_mesh_source" / "webxr_generic_hand_right.glb"
OUTPUT = REPO / "resources" / "models"

PARENTS = np.array([-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14])
CHILD_OF = {1: 2, 2: 3, 3: 17, 4: 5, 5: 6, 6: 18, 7: 8, 8: 9, 9: 20, 10: 11, 11: 12, 12: 19, 13: 14, 14: 15, 15: 16}
"""The MANO-21 joint at the far end of the bone that each MANO joint rotates."""
FINGER_BASES = (1, 4, 7, 10, 13)
TIP_OF = {15: 16, 3: 17, 6: 18, 12: 19, 9: 20}

# OpenXR joint name -> MANO-21 joint whose position it gives, and MANO-16 joint that takes its skin weights.
OPENXR_TO_MANO = {
    "wrist": (0, 0),
    "thumb-metacarpal": (13, 13), "thumb-phalanx-proximal": (14, 14), "thumb-phalanx-distal": (15, 15),
    "thumb-tip": (16, 15),
    "index-finger-metacarpal": (None, 0), "index-finger-phalanx-proximal": (1, 1),
    "index-finger-phalanx-intermediate": (2, 2), "index-finger-phalanx-distal": (3, 3), "index-finger-tip": (17, 3),
    "middle-finger-metacarpal": (None, 0), "middle-finger-phalanx-proximal": (4, 4),
    "middle-finger-phalanx-intermediate": (5, 5), "middle-finger-phalanx-distal": (6, 6),
    "middle-finger-tip": (18, 6),
    "ring-finger-metacarpal": (None, 0), "ring-finger-phalanx-proximal": (10, 10),
    "ring-finger-phalanx-intermediate": (11, 11), "ring-finger-phalanx-distal": (12, 12), "ring-finger-tip": (19, 12),
    "pinky-finger-metacarpal": (None, 0), "pinky-finger-phalanx-proximal": (7, 7),
    "pinky-finger-phalanx-intermediate": (8, 8), "pinky-finger-phalanx-distal": (9, 9), "pinky-finger-tip": (20, 9),
}

# Shape directions: (name, meaning of +1, kind, relative change per unit beta). Magnitudes follow the spread of
# adult hand measurements (about one standard deviation per unit): length and breadth vary by ~5-6 %.
SHAPE_DIRECTIONS = (
    ("size", "whole hand 6 % larger (skeleton and surface)", 0.06),
    ("palm_width", "palm 6 % wider: finger bases spread apart, fingers keep their size", 0.06),
    ("palm_length", "palm 6 % longer: finger bases move away from the wrist", 0.06),
    ("finger_length", "index, middle, ring and little finger 5 % longer", 0.05),
    ("thumb_length", "thumb 6 % longer from its base joint", 0.06),
    ("index_ring_ratio", "index 3 % longer and ring finger 3 % shorter (the 2D:4D ratio)", 0.03),
    ("little_finger_length", "little finger 6 % longer", 0.06),
    ("thickness", "hand 8 % thicker from palm to back (surface only, joints stay)", 0.08),
    ("finger_girth", "fingers 8 % thicker around their bones (surface only)", 0.08),
    ("thenar_bulk", "thumb and its ball 8 % thicker (surface only)", 0.08),
)


def read_skinned_glb(path: Path) -> dict[str, np.ndarray | list[str]]:
    """Vertices, faces, joint names and bind positions, and 4-influence skin of the first skinned mesh."""
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob()

    def accessor(index: int) -> np.ndarray:
        acc = gltf.accessors[index]
        view = gltf.bufferViews[acc.bufferView]
        dtype = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}[acc.componentType]
        width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}[acc.type]
        offset = (view.byteOffset or 0) + (acc.byteOffset or 0)
        return np.frombuffer(blob, dtype=dtype, count=acc.count * width, offset=offset).reshape(acc.count, width)

    skin = gltf.skins[0]
    primitive = gltf.meshes[0].primitives[0]
    inverse_bind = accessor(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
    return {
        "vertices": accessor(primitive.attributes.POSITION).astype(np.float64),
        "faces": accessor(primitive.indices).reshape(-1, 3).astype(np.int64),
        "joint_names": [gltf.nodes[j].name for j in skin.joints],
        "joint_positions": np.linalg.inv(inverse_bind.astype(np.float64))[:, :3, 3],
        "skin_joints": accessor(primitive.attributes.JOINTS_0).astype(np.int64),
        "skin_weights": accessor(primitive.attributes.WEIGHTS_0).astype(np.float64),
    }


def mano_joints_and_weights(glb: dict) -> tuple[np.ndarray, np.ndarray]:
    """MANO-21 joint positions from the OpenXR skeleton, and skin weights remapped to the 16 MANO joints."""
    joints = np.zeros((21, 3))
    to_weight_joint = np.zeros(len(glb["joint_names"]), dtype=np.int64)
    for index, name in enumerate(glb["joint_names"]):
        position_joint, weight_joint = OPENXR_TO_MANO[name]
        if position_joint is not None:
            joints[position_joint] = glb["joint_positions"][index]
        to_weight_joint[index] = weight_joint
    weights = np.zeros((len(glb["vertices"]), 16))
    rows = np.repeat(np.arange(len(weights)), 4)
    np.add.at(weights, (rows, to_weight_joint[glb["skin_joints"]].ravel()), glb["skin_weights"].ravel())
    return joints, weights / weights.sum(axis=1, keepdims=True)


def similarity(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale, rotation and translation that best map source points onto target points (Umeyama)."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    xs, xt = source - mu_s, target - mu_t
    u, sigma, vt = np.linalg.svd(xt.T @ xs)
    fix = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ fix @ vt
    scale = float(np.trace(np.diag(sigma) @ fix) / (xs**2).sum())
    return scale, rotation, mu_t - scale * rotation @ mu_s


def minimal_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector a onto unit vector b."""
    axis = np.cross(a, b)
    angle = np.arctan2(np.linalg.norm(axis), a @ b)
    if np.linalg.norm(axis) < 1e-12:
        return np.eye(3)
    return Rotation.from_rotvec(axis / np.linalg.norm(axis) * angle).as_matrix()


def retarget(vertices: np.ndarray, weights: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Deform the mesh so its skeleton moves from the source joints to the target joints.

    Each finger bone maps rigidly onto its target bone and stretches along its length; the palm (wrist weights)
    moves by an inverse-distance blend of the offsets of the wrist and the finger bases; skin weights blend them.
    """
    moved = np.zeros_like(vertices)
    anchors = [0, *FINGER_BASES]
    offsets = target[anchors] - source[anchors]
    inverse_sq = 1.0 / np.maximum(((vertices[:, None] - source[anchors][None]) ** 2).sum(-1), 1e-8)
    palm = vertices + (inverse_sq / inverse_sq.sum(1, keepdims=True)) @ offsets
    moved += weights[:, :1] * palm
    for joint, child in CHILD_OF.items():
        bone, new_bone = source[child] - source[joint], target[child] - target[joint]
        direction = bone / np.linalg.norm(bone)
        stretch = np.eye(3) + (np.linalg.norm(new_bone) / np.linalg.norm(bone) - 1.0) * np.outer(direction, direction)
        linear = minimal_rotation(direction, new_bone / np.linalg.norm(new_bone)) @ stretch
        moved += weights[:, joint : joint + 1] * (target[joint] + (vertices - source[joint]) @ linear.T)
    return moved


def joint_regressor(vertices: np.ndarray, joints: np.ndarray, neighbours: int = 40) -> np.ndarray:
    """Sparse, non-negative, normalised vertex weights that reproduce each joint from nearby vertices.

    Among the nearest vertices, the weights closest to uniform that hit the joint: spreading them over a ring
    keeps the joint centred inside the finger when a shape direction changes the surface.
    """
    regressor = np.zeros((len(joints), len(vertices)))
    for index, joint in enumerate(joints):
        nearest = np.argsort(((vertices - joint) ** 2).sum(1))[:neighbours]
        points = vertices[nearest] * 1000.0
        exact = 1e3
        design = np.vstack([exact * points.T, exact * np.ones((1, neighbours)), np.eye(neighbours)])
        rhs = np.concatenate([exact * joint * 1000.0, [exact], np.full(neighbours, 1.0 / neighbours)])
        solution = lsq_linear(design, rhs, bounds=(0.0, 1.0)).x
        regressor[index, nearest] = solution / solution.sum()
    return regressor


def fingertip_vertices(vertices: np.ndarray, weights: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """For each finger (thumb, index, middle, ring, pinky) the vertex furthest out along its last bone.

    MANO's fingertip "joints" are surface vertices at the end of each finger; the OpenXR tip joints sit a few
    millimetres inside the skin, so the model uses the extreme vertex instead.
    """
    ids = []
    for last_joint in (15, 3, 6, 12, 9):
        tip = TIP_OF[last_joint]
        axis = (joints[tip] - joints[last_joint]) / np.linalg.norm(joints[tip] - joints[last_joint])
        candidates = np.flatnonzero(weights[:, last_joint] > 0.99)
        ids.append(int(candidates[np.argmax((vertices[candidates] - joints[last_joint]) @ axis)]))
    return np.array(ids, dtype=np.int64)


def shape_directions(vertices: np.ndarray, weights: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """The ten (V, 3) displacement fields of SHAPE_DIRECTIONS, stacked as (V, 3, 10), blended by skin weights."""
    finger_of_joint = {}
    for base in FINGER_BASES:
        chain = [base, base + 1, base + 2]
        for joint in chain:
            finger_of_joint[joint] = (base, TIP_OF[base + 2])
    palm_weight = weights[:, 0:1]

    def along_finger(bases: tuple[int, ...]) -> np.ndarray:
        field = np.zeros_like(vertices)
        for joint, (base, tip) in finger_of_joint.items():
            if base in bases:
                axis = (joints[tip] - joints[base]) / np.linalg.norm(joints[tip] - joints[base])
                field += weights[:, joint : joint + 1] * ((vertices - joints[base]) @ axis)[:, None] * axis
        return field

    def around_bones(bases: tuple[int, ...]) -> np.ndarray:
        field = np.zeros_like(vertices)
        for joint, (base, tip) in finger_of_joint.items():
            if base in bases:
                axis = (joints[tip] - joints[base]) / np.linalg.norm(joints[tip] - joints[base])
                relative = vertices - joints[base]
                radial = relative - (relative @ axis)[:, None] * axis
                field += weights[:, joint : joint + 1] * radial
        return field

    def finger_translation(component: int, origin: float) -> np.ndarray:
        """Palm vertices scale along one axis; finger vertices move with their finger base."""
        field = palm_weight * np.eye(3)[component] * (vertices[:, component : component + 1] - origin)
        for joint, (base, _) in finger_of_joint.items():
            field += weights[:, joint : joint + 1] * np.eye(3)[component] * (joints[base, component] - origin)
        return field

    wrist = joints[0]
    long_fingers = (1, 4, 7, 10)
    palm_centre_z = joints[[1, 4, 7, 10], 2].mean()
    palm_mid_y = np.median(vertices[palm_weight[:, 0] > 0.9, 1])
    thickness = np.zeros_like(vertices)
    thickness[:, 1] = vertices[:, 1] - palm_mid_y
    fields = {
        "size": vertices - wrist,
        "palm_width": finger_translation(2, palm_centre_z),
        "palm_length": finger_translation(0, wrist[0]),
        "finger_length": along_finger(long_fingers),
        "thumb_length": along_finger((13,)),
        "index_ring_ratio": along_finger((1,)) - along_finger((10,)),
        "little_finger_length": along_finger((7,)),
        "thickness": thickness,
        "finger_girth": around_bones(long_fingers),
        "thenar_bulk": around_bones((13,)),
    }
    return np.stack([fields[name] * scale for name, _, scale in SHAPE_DIRECTIONS], axis=-1)


def build_right_hand() -> dict:
    """The right open-hand model as a MANO-format dict."""
    glb = read_skinned_glb(SOURCE)
    source_joints, weights = mano_joints_and_weights(glb)
    tip_ids = fingertip_vertices(glb["vertices"], weights, source_joints)
    source_joints[16:] = glb["vertices"][tip_ids]
    scale, rotation, translation = similarity(source_joints, MANO_REST_JOINTS)
    canonical = glb["vertices"] @ (scale * rotation).T + translation
    source_joints = source_joints @ (scale * rotation).T + translation
    vertices = retarget(canonical, weights, source_joints, MANO_REST_JOINTS)
    regressor = joint_regressor(vertices, MANO_REST_JOINTS[:16])
    num_vertices = len(vertices)
    return {
        "model_name": "open-hand",
        "v_template": vertices,
        "f": glb["faces"],
        "J_regressor": regressor,
        "weights": weights,
        "kintree_table": np.stack([np.where(PARENTS < 0, 2**32 - 1, PARENTS), np.arange(16)]).astype(np.int64),
        "shapedirs": shape_directions(vertices, weights, MANO_REST_JOINTS),
        "shape_direction_names": [name for name, _, _ in SHAPE_DIRECTIONS],
        "posedirs": np.zeros((num_vertices, 3, 135), dtype=np.float32),
        "hands_components": np.eye(45),
        "hands_mean": np.zeros(45),
        "tip_vertex_ids": tip_ids,
    }


def mirror(model: dict) -> dict:
    """The left-hand model: x negated everywhere, triangle winding flipped to keep normals outward."""
    left = dict(model)
    left["v_template"] = model["v_template"] * np.array([-1.0, 1.0, 1.0])
    left["f"] = model["f"][:, ::-1].copy()
    shapedirs = model["shapedirs"].copy()
    shapedirs[:, 0, :] *= -1.0
    left["shapedirs"] = shapedirs
    return left


def main() -> None:
    """Write both model files and print how close the rest skeleton is to MANO's."""
    right = build_right_hand()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for side, model in (("right", right), ("left", mirror(right))):
        with (OUTPUT / f"open_hand_{side}.pkl").open("wb") as stream:
            pickle.dump(model, stream, protocol=4)
    joints = right["J_regressor"] @ right["v_template"]
    tips = right["v_template"][right["tip_vertex_ids"]]
    error = np.linalg.norm(np.vstack([joints, tips]) - MANO_REST_JOINTS, axis=1) * 1000
    print(f"rest joints vs MANO: mean {error.mean():.2f} mm, max {error.max():.2f} mm (tips {error[16:].round(1)})")


if __name__ == "__main__":
    main()
