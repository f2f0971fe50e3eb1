"""The motion interchange .npz: round trip, validation errors that name the file, atomic replacement."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hmp_engine import motion_file
from hmp_engine.motion_file import HandMotion, Motion, MotionFileError, read_motion, write_motion


def _hand(frames: int, seed: int, joints: bool = False) -> HandMotion:
    rng = np.random.default_rng(seed)
    return HandMotion(
        global_orient=rng.normal(size=(frames, 3)).astype(np.float32),
        hand_pose=rng.normal(size=(frames, 45)).astype(np.float32),
        betas=rng.normal(size=10).astype(np.float32),
        transl=rng.normal(size=(frames, 3)).astype(np.float32),
        valid=rng.random(frames) > 0.3,
        joints=rng.normal(size=(frames, 21, 3)).astype(np.float32) if joints else None,
    )


def _motion() -> Motion:
    return Motion(fps=25.0, hand_model="open-hand", right=_hand(12, 0, joints=True), left=_hand(12, 1),
                  camera_K=np.array([[900.0, 0, 320], [0, 900, 180], [0, 0, 1]]), image_size=(640, 360))


def test_round_trip_keeps_every_array(tmp_path: Path) -> None:
    path = tmp_path / "clip.npz"
    original = _motion()
    write_motion(path, original)
    loaded = read_motion(path)
    assert (loaded.fps, loaded.hand_model, loaded.num_frames, loaded.image_size) == (25.0, "open-hand", 12, (640, 360))
    np.testing.assert_array_equal(loaded.camera_K, original.camera_K)
    for side in ("right", "left"):
        for name in ("global_orient", "hand_pose", "betas", "transl", "valid"):
            np.testing.assert_array_equal(getattr(getattr(loaded, side), name), getattr(getattr(original, side), name))
    np.testing.assert_array_equal(loaded.right.joints, original.right.joints)
    assert loaded.left.joints is None and loaded.right.valid.dtype == bool


def test_one_hand_without_camera(tmp_path: Path) -> None:
    path = tmp_path / "right.npz"
    write_motion(path, Motion(fps=30.0, hand_model="mano", right=_hand(5, 2)))
    loaded = read_motion(path)
    assert loaded.left is None and loaded.camera_K is None and loaded.image_size is None
    assert set(np.load(path).files) == {"version", "fps", "num_frames", "hand_model", "right_global_orient",
                                        "right_hand_pose", "right_betas", "right_transl", "right_valid"}


@pytest.mark.parametrize("change, message", [
    (lambda m: setattr(m.right, "hand_pose", np.zeros((12, 48))), "right_hand_pose has shape"),
    (lambda m: setattr(m.left, "transl", np.zeros((11, 3))), "left_transl has shape"),
    (lambda m: setattr(m.right, "valid", np.ones(12)), "expected bool"),
    (lambda m: setattr(m, "fps", 0.0), "fps must be positive"),
    (lambda m: (setattr(m, "right", None), setattr(m, "left", None)), "no hand"),
    (lambda m: m.right.betas.__setitem__(0, np.nan), "right_betas holds NaN"),
])
def test_invalid_motion_is_refused_with_the_file_named(tmp_path: Path, change, message: str) -> None:
    motion = _motion()
    change(motion)
    with pytest.raises(MotionFileError, match=message) as error:
        write_motion(tmp_path / "bad.npz", motion)
    assert "bad.npz" in str(error.value)
    assert not (tmp_path / "bad.npz").exists()


def test_reading_damaged_or_foreign_files_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(MotionFileError, match="missing.npz: file not found"):
        read_motion(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(MotionFileError, match="text.npz: not a readable"):
        read_motion(tmp_path / "text.npz")
    np.savez(tmp_path / "foreign.npz", poses=np.zeros((3, 156)))
    with pytest.raises(MotionFileError, match="not a motion file"):
        read_motion(tmp_path / "foreign.npz")
    arrays = motion_file._arrays(_motion())
    np.savez(tmp_path / "future.npz", **{**arrays, "version": np.array(2)})
    with pytest.raises(MotionFileError, match="version 2"):
        read_motion(tmp_path / "future.npz")
    np.savez(tmp_path / "count.npz", **{**arrays, "num_frames": np.array(13)})
    with pytest.raises(MotionFileError, match="num_frames says 13"):
        read_motion(tmp_path / "count.npz")
    del arrays["left_betas"]
    np.savez(tmp_path / "partial.npz", **arrays)
    with pytest.raises(MotionFileError, match="left hand is missing left_betas"):
        read_motion(tmp_path / "partial.npz")


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clip.npz"
    write_motion(path, _motion())
    before = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(motion_file.os, "replace", fail)
    with pytest.raises(MotionFileError, match="clip.npz: cannot write"):
        write_motion(path, Motion(fps=30.0, hand_model="mano", right=_hand(3, 4)))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["clip.npz"]
