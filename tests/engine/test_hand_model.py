"""The hand model layer: the bundled open-hand files, MANO-format loading, joint orders and fast paths."""

from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest
import scipy.sparse
import smplx
import torch

from hmp_engine.hand_model import (
    MP_TO_MANO,
    HandModel,
    HandModelFileError,
    load_hand_model,
    mano21_to_mediapipe,
    mediapipe_to_mano21,
    model_file,
    read_model_file,
    resolve_model_source,
)
from hmp_engine.hand_model.sources import open_model_file

# MANO right rest joints (MANO-21 order, metres): the published figures (docs/conventions.md, Canonical hand frame).
MANO_REST = np.array([
    [0.0957, 0.0064, 0.0062], [0.0076, 0.0012, 0.0269], [-0.0251, 0.0052, 0.0291], [-0.0473, 0.0039, 0.0290],
    [0.0010, 0.0049, 0.0028], [-0.0302, 0.0068, -0.0028], [-0.0531, 0.0055, -0.0067], [0.0269, -0.0036, -0.0370],
    [0.0099, -0.0035, -0.0495], [-0.0060, -0.0042, -0.0599], [0.0139, 0.0024, -0.0205], [-0.0144, 0.0045, -0.0256],
    [-0.0379, 0.0028, -0.0332], [0.0716, -0.0091, 0.0320], [0.0519, -0.0082, 0.0557], [0.0297, -0.0137, 0.0702],
    [0.0037, -0.0164, 0.0941], [-0.0727, 0.0051, 0.0285], [-0.0788, 0.0094, -0.0108], [-0.0623, 0.0067, -0.0406],
    [-0.0231, -0.0026, -0.0702],
])
MIRROR = torch.tensor([-1.0, 1.0, 1.0])
AXIS_ANGLE_MIRROR = torch.tensor([1.0, -1.0, -1.0])


@pytest.fixture(scope="module")
def right() -> HandModel:
    return load_hand_model("open", "right")


@pytest.fixture(scope="module")
def left() -> HandModel:
    return load_hand_model("open", "left")


def random_batch(seed: int, batch: int = 16) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 3, generator=generator) * 0.8, torch.randn(batch, 45, generator=generator) * 0.5,
            torch.randn(10, generator=generator), torch.randn(batch, 3, generator=generator) * 0.2)


@pytest.mark.parametrize("side", ["right", "left"])
def test_smplx_loads_open_hand_file_unchanged(side: str) -> None:
    path = open_model_file(side)
    mano = smplx.MANO(str(path), is_rhand=side == "right", use_pca=False, flat_hand_mean=True)
    output = mano(global_orient=torch.zeros(1, 3), hand_pose=torch.zeros(1, 45), betas=torch.zeros(1, 10))
    assert output.vertices.shape == (1, 1360, 3)
    assert torch.isfinite(output.vertices).all()


def test_rest_joints_match_mano_within_10mm(right: HandModel) -> None:
    joints = right.rest_joints().numpy()
    aligned = joints - joints[0] + MANO_REST[0]
    mean_distance = np.linalg.norm(aligned - MANO_REST, axis=1).mean()
    assert mean_distance <= 0.010, f"mean rest-joint distance {mean_distance * 1000:.2f} mm"


def test_zero_pose_is_a_flat_hand(right: HandModel) -> None:
    joints = right.rest_joints().numpy()
    for chain in ((1, 2, 3, 17), (4, 5, 6, 18), (10, 11, 12, 19), (7, 8, 9, 20)):
        bones = np.diff(joints[list(chain)], axis=0)
        bones /= np.linalg.norm(bones, axis=1, keepdims=True)
        assert (bones @ np.array([-1.0, 0.0, 0.0]) > 0.75).all(), "fingers point along -x"
        assert (np.einsum("ij,ij->i", bones[:-1], bones[1:]) > 0.97).all(), "fingers are straight"


@pytest.mark.parametrize("joint", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
def test_positive_z_rotation_flexes_finger_toward_palm(right: HandModel, joint: int) -> None:
    rest = right.rest_joints()
    pose = torch.zeros(1, 45)
    pose[0, (joint - 1) * 3 + 2] = 0.6
    posed = right.joints(torch.zeros(1, 3), pose)[0]
    moved = (posed - rest).norm(dim=1) > 1e-5
    assert moved.any()
    assert ((posed - rest)[moved, 1] < -1e-3).all(), "every joint below the flexed one moves to -y (palm)"


def test_left_model_mirrors_right(right: HandModel, left: HandModel) -> None:
    for seed in range(3):
        orient, pose, betas, transl = random_batch(seed)
        right_joints = right.joints(orient, pose, betas, transl)
        left_joints = left.joints(orient * AXIS_ANGLE_MIRROR, (pose.view(-1, 15, 3) * AXIS_ANGLE_MIRROR).view(-1, 45),
                                  betas, transl * MIRROR)
        assert torch.allclose(left_joints * MIRROR, right_joints, atol=1e-6)


@pytest.mark.parametrize("side", ["right", "left"])
def test_joints_only_path_equals_full_path(side: str) -> None:
    model = load_hand_model("open", side)
    orient, pose, betas, transl = random_batch(7)
    full = model(orient, pose, betas, transl).joints
    fast = model.joints(orient, pose, betas, transl)
    assert fast.shape == (16, 21, 3)
    assert torch.allclose(fast, full, atol=1e-6)


def test_joints_only_path_is_differentiable(right: HandModel) -> None:
    pose = torch.zeros(2, 45, requires_grad=True)
    right.joints(torch.zeros(2, 3), pose).sum().backward()
    assert pose.grad is not None and pose.grad.abs().sum() > 0


def test_shape_directions_move_vertices_and_skeleton(right: HandModel) -> None:
    rest = right.rest_joints()
    template = right(torch.zeros(1, 3), torch.zeros(1, 45)).vertices[0]
    skeleton_moves = []
    for index in range(10):
        betas = torch.zeros(10)
        betas[index] = 1.0
        vertices = right(torch.zeros(1, 3), torch.zeros(1, 45), betas).vertices[0]
        assert (vertices - template).norm(dim=1).max() > 5e-4, f"shape direction {index} moves the surface"
        skeleton_moves.append(float((right.rest_joints(betas) - rest).norm(dim=1).max()))
    assert all(move > 1e-3 for move in skeleton_moves[:7]), skeleton_moves


def test_mediapipe_mano_maps_round_trip() -> None:
    points = np.random.default_rng(0).normal(size=(4, 21, 3))
    assert np.array_equal(mano21_to_mediapipe(mediapipe_to_mano21(points)), points)
    assert np.array_equal(mediapipe_to_mano21(mano21_to_mediapipe(points)), points)
    assert MP_TO_MANO.tolist() == [0, 5, 6, 7, 9, 10, 11, 17, 18, 19, 13, 14, 15, 1, 2, 3, 4, 8, 12, 16, 20]


def write_chumpy_pickle(path, data: dict) -> None:
    """Pickle a MANO dict the way the original files were made: arrays wrapped in chumpy `Ch` objects."""
    package, module = types.ModuleType("chumpy"), types.ModuleType("chumpy.ch")

    class Ch:
        def __init__(self, x):
            self.x = x
            self._cache = {}

    Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
    module.Ch = Ch
    sys.modules.update({"chumpy": package, "chumpy.ch": module})
    try:
        wrapped = dict(data, shapedirs=Ch(data["shapedirs"]), v_template=Ch(data["v_template"]),
                       J_regressor=scipy.sparse.csc_matrix(data["J_regressor"]))
        with open(path, "wb") as stream:
            pickle.dump(wrapped, stream, protocol=2)
    finally:
        del sys.modules["chumpy"], sys.modules["chumpy.ch"]


def test_chumpy_pickle_loads_without_chumpy(tmp_path) -> None:
    reference = read_model_file(open_model_file("right"))
    path = tmp_path / "MANO_RIGHT.pkl"
    write_chumpy_pickle(path, reference)
    with pytest.raises(ImportError):
        __import__("chumpy")
    data = read_model_file(path)
    assert isinstance(data["shapedirs"], np.ndarray)
    assert np.array_equal(data["shapedirs"], reference["shapedirs"])
    model = load_hand_model(tmp_path, "right")
    expected = load_hand_model("open", "right")
    orient, pose, betas, transl = random_batch(3, batch=4)
    assert torch.allclose(model.joints(orient, pose, betas, transl), expected.joints(orient, pose, betas, transl),
                          atol=1e-6)


def test_pickle_with_foreign_code_is_refused(tmp_path) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"v_template": print}))
    with pytest.raises(HandModelFileError, match="evil.pkl.*refusing to load builtins.print"):
        read_model_file(path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"\x00garbage", "not a readable MANO-format pickle"), (pickle.dumps([1, 2]), "expected a dict"),
     (pickle.dumps({"v_template": np.zeros((5, 3))}), "missing MANO keys")],
)
def test_corrupt_model_file_names_file_and_problem(tmp_path, content: bytes, problem: str) -> None:
    path = tmp_path / "broken.pkl"
    path.write_bytes(content)
    with pytest.raises(HandModelFileError, match=f"broken.pkl: {problem}"):
        read_model_file(path)


def test_wrong_shape_is_reported(tmp_path) -> None:
    data = read_model_file(open_model_file("right"))
    data["weights"] = data["weights"][:, :15]
    path = tmp_path / "bad_weights.pkl"
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(HandModelFileError, match="'weights' has shape"):
        read_model_file(path)


def test_mano_folder_without_the_side_file_names_it(tmp_path) -> None:
    with pytest.raises(HandModelFileError, match="no left-hand MANO file.*looked for MANO_LEFT.pkl, models/MANO_LEFT"):
        model_file(tmp_path, "left")


def test_model_source_precedence(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("HMP_MANO_DIR", raising=False)
    assert resolve_model_source(None, None) == "open"
    monkeypatch.setenv("HMP_MANO_DIR", str(tmp_path))
    assert resolve_model_source(None, "") == tmp_path
    assert resolve_model_source(None, "/settings/dir") == resolve_model_source("/settings/dir")
    assert resolve_model_source("open", "/settings/dir") == "open"


def test_unmirrored_left_shapedirs_are_fixed(tmp_path) -> None:
    right_data = read_model_file(open_model_file("right"))
    left_data = read_model_file(open_model_file("left"))
    broken_left = dict(left_data, shapedirs=left_data["shapedirs"].copy())
    broken_left["shapedirs"][:, 0, :] = right_data["shapedirs"][:, 0, :]
    (tmp_path / "MANO_RIGHT.pkl").write_bytes(pickle.dumps(right_data))
    (tmp_path / "MANO_LEFT.pkl").write_bytes(pickle.dumps(broken_left))
    fixed = load_hand_model(tmp_path, "left")
    assert torch.allclose(fixed.mano.shapedirs, load_hand_model("open", "left").mano.shapedirs)
