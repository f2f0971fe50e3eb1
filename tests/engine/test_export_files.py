"""The data exports on a real two-hand fit of the sample (motion .npz, AMASS-style .npz through our AMASS loader,
keypoints with edits), frames and frame-rate resampling, failures that must leave no file, and `hmp export`."""

from __future__ import annotations

import copy
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation, Slerp

from hmp_engine import atomic
from hmp_engine.cli import main
from hmp_engine.export import ExportError, ExportOptions, export_project, fitted_models, project_motion
from hmp_engine.motion_file import read_motion
from hmp_engine.prior.data import load_amass
from hmp_engine.rotations import mirror_axis_angle
from hmp_engine.session import Project
from tests.engine.export_support import FRAMES, fitted_hands, two_hand_project

SIDES = ("right", "left")


@pytest.fixture(scope="module")
def project() -> Project:
    return two_hand_project()


def test_npz_is_the_motion_file_with_joints_and_optional_vertices(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "clip.npz"
    result = export_project(project, path, "npz", ExportOptions(frames=slice(5, 25), vertices=True))
    assert result.num_frames == 20 and result.hands == SIDES
    motion = read_motion(path)
    assert motion.fps == 30.0 and motion.num_frames == 20 and motion.hand_model == "open-hand"
    assert motion.camera_K is not None and motion.image_size == tuple(project.detections.image_size)
    models = fitted_models(project, SIDES, "open")
    for side, hand in motion.hands().items():
        fit = project.fits[side].arrays
        assert np.allclose(hand.hand_pose, fit["hand_pose"][5:25]) and np.allclose(hand.transl, fit["transl"][5:25])
        assert np.allclose(hand.betas, fit["betas"]) and hand.valid.all()
        assert np.abs(hand.joints - fitted_hands(side)[0][5:25]).max() < 1e-6
    with np.load(path) as npz:
        vertices, faces = npz["right_vertices"], npz["right_faces"]
        assert vertices.shape == (20, models["right"].num_vertices, 3) and faces.shape == models["right"].faces.shape
        assert np.abs(vertices - fitted_hands("right")[1][5:25]).max() < 1e-6


def test_a_new_frame_rate_resamples_by_slerp_over_the_same_span(project: Project) -> None:
    models = fitted_models(project, SIDES, "open")
    original = project_motion(project, models)
    half = project_motion(project, models, fps=15.0)
    assert half.fps == 15.0 and half.num_frames == (FRAMES + 1) // 2
    assert np.allclose(half.right.hand_pose, original.right.hand_pose[::2], atol=1e-6), "keys on old frames keep them"
    denser = project_motion(project, models, slice(2, 12), fps=60.0)
    assert denser.num_frames == 19  # 2/30 s .. 11/30 s at 1/60 s
    middle = denser.left.global_orient[1]  # halfway between frames 2 and 3: the SLERP midpoint, not a lerp
    expected = Slerp([0, 1], Rotation.from_rotvec(original.left.global_orient[2:4]))(0.5).as_rotvec()
    assert np.allclose(middle, expected, atol=1e-6)
    assert np.allclose(denser.left.transl[1], original.left.transl[2:4].mean(axis=0), atol=1e-7)


def test_amass_npz_reloads_through_our_amass_loader_to_the_same_hand_poses(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "clip_amass.npz"
    export_project(project, path, "amass")
    with np.load(path) as npz:
        assert npz["poses"].shape == (FRAMES, 165) and str(npz["surface_model_type"]) == "smplx"
        assert str(npz["gender"]) == "neutral" and float(npz["mocap_frame_rate"]) == 30.0
        assert not npz["poses"][:, :75].any() and not npz["trans"].any() and npz["betas"].shape == (16,)
        assert np.array_equal(npz["pose_hand"], npz["poses"][:, 75:])
    left, right = load_amass(path)
    assert left.source.endswith(":left") and right.source.endswith(":right") and right.fps == 30.0
    assert right.num_frames == FRAMES and left.num_frames == FRAMES
    assert np.allclose(right.hand_pose, project.fits["right"].arrays["hand_pose"], atol=1e-6)
    # the loader mirrors a left hand into a right one
    assert np.allclose(left.hand_pose, mirror_axis_angle(project.fits["left"].arrays["hand_pose"]), atol=1e-6)


def test_keypoints_carry_the_users_edits(project: Project, tmp_path: Path) -> None:
    edited = copy.deepcopy(project)
    right = next(i for i, track in enumerate(edited.detections.tracks) if track.handedness == "right")
    edited.move_keypoint(right, 3, 8, 100.5, 200.25)
    edited.mark_keypoint(right, 4, 0, occluded=True)
    export_project(edited, tmp_path / "keys.csv", "keypoints", ExportOptions(frames=slice(2, 6)))
    rows = list(csv.DictReader((tmp_path / "keys.csv").open()))
    assert len(rows) == 4 * 2 * 21 and list(rows[0]) == ["frame", "time", "hand", "joint", "x", "y", "confidence",
                                                         "edited"]
    moved = next(r for r in rows if r["hand"] == "right" and r["frame"] == "3" and r["joint"] == "index_tip")
    assert (float(moved["x"]), float(moved["y"]), float(moved["confidence"]), moved["edited"]) == (100.5, 200.25, 1.0,
                                                                                                   "1")
    hidden = next(r for r in rows if r["hand"] == "right" and r["frame"] == "4" and r["joint"] == "wrist")
    assert float(hidden["confidence"]) == 0.0 and hidden["edited"] == "1"
    assert sum(r["edited"] == "1" for r in rows) == 2

    export_project(edited, tmp_path / "keys.json", "keypoints", ExportOptions(hands=("left",)))
    document = json.loads((tmp_path / "keys.json").read_text())
    assert document["fps"] == 30.0 and len(document["joints"]) == 21 and len(document["rows"]) == FRAMES * 21
    assert {row["hand"] for row in document["rows"]} == {"left"} and not any(r["edited"] for r in document["rows"])
    undetected = copy.deepcopy(edited)
    undetected.detections.tracks[right].detected[7] = False
    export_project(undetected, tmp_path / "gap.json", "keypoints", ExportOptions(hands=("right",), frames=slice(7, 8)))
    assert all(row["x"] is None for row in json.loads((tmp_path / "gap.json").read_text())["rows"])


def test_failures_are_clear_and_leave_no_file(project: Project, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    unfitted = copy.deepcopy(project)
    unfitted.fits.clear()
    for kind, name in (("npz", "a.npz"), ("fbx", "a.fbx"), ("glb", "a.glb"), ("bvh", "a.bvh"), ("amass", "b.npz")):
        with pytest.raises(ExportError, match="no fit to export"):
            export_project(unfitted, tmp_path / name, kind)
        with pytest.raises(ExportError, match="cannot write .*(Not a directory|No such file)"):
            export_project(project, tmp_path / "a_file" / "inside" / name, kind)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ExportError, match="cannot write"):
        export_project(project, tmp_path / "a_file" / "out.fbx", "fbx")
    with pytest.raises(ExportError, match="no fit of the left hand"):
        one_hand = copy.deepcopy(project)
        del one_hand.fits["left"]
        export_project(one_hand, tmp_path / "x.glb", "glb", ExportOptions(hands=("left",)))
    with pytest.raises(ExportError, match="a frame rate does not apply"):
        export_project(project, tmp_path / "x.csv", "keypoints", ExportOptions(fps=10.0))
    with pytest.raises(ExportError, match="not a non-empty range"):
        export_project(project, tmp_path / "x.bvh", "bvh", ExportOptions(frames=slice(40, 50)))

    monkeypatch.setitem(sys.modules, "bpy", None)  # Blender missing: nothing written, the fix named
    with pytest.raises(ExportError, match=r"pip install bpy==5\.0\.1"):
        export_project(project, tmp_path / "x.fbx", "fbx")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["a_file"]

    for name in ("old.glb", "old.bvh", "old.npz"):
        (tmp_path / name).write_bytes(b"previous export")
    def no_space(*args: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:  # the disk fills up after the data is written: the old files survive
        patch.setattr(atomic.os, "replace", no_space)
        for kind, name in (("glb", "old.glb"), ("bvh", "old.bvh"), ("npz", "old.npz")):
            with pytest.raises(ExportError, match="No space left"):
                export_project(project, tmp_path / name, kind)
    for name in ("old.glb", "old.bvh", "old.npz"):
        assert (tmp_path / name).read_bytes() == b"previous export"
    (tmp_path / "old.fbx").mkdir()  # Blender's child process cannot be patched: make its final rename fail
    with pytest.raises(ExportError, match="cannot write .*old.fbx"):
        export_project(project, tmp_path / "old.fbx", "fbx")
    assert not any((tmp_path / "old.fbx").iterdir())
    assert sorted(os.listdir(tmp_path)) == ["a_file", "old.bvh", "old.fbx", "old.glb", "old.npz"]


def test_hmp_export_command(project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project_path = copy.deepcopy(project).save(tmp_path / "hands.hmp")
    assert main(["export", str(project_path), "-o", str(tmp_path / "hands.bvh"), "--frames", "10:20", "--fps", "15",
                 "--up", "z", "--scale", "100"]) == 0
    assert "wrote" in capsys.readouterr().out and "Frames: 5\n" in (tmp_path / "hands.bvh").read_text()
    assert main(["export", str(project_path), "--format", "amass", "-o", str(tmp_path / "a.npz"),
                 "--hands", "right"]) == 0
    assert "right hand, 30 frames at 30 fps" in capsys.readouterr().out
    assert main(["export", str(project_path), "-o", str(tmp_path / "hands.txt")]) == 1
    assert "give --format" in capsys.readouterr().err
    assert main(["export", str(project_path), "-o", str(tmp_path / "hands.npz"), "--up", "z"]) == 1
    assert "--up does not apply to npz" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.hmp"), "-o", str(tmp_path / "x.fbx")]) == 1
    assert "hmp export:" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", str(project_path), "-o", str(tmp_path / "x.fbx"), "--hands", "middle"])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.npz", "hands.bvh", "hands.hmp"]
