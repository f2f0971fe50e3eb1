"""The project and its .hmp file: edits kept apart, round trips, migration, damaged files, atomic save."""

from __future__ import annotations

import copy
import errno
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hmp_engine import atomic
from hmp_engine.detection import DetectionResult, detect_video
from hmp_engine.session import (
    MIGRATIONS,
    SCHEMA_VERSION,
    EditState,
    HandFit,
    KeypointEdit,
    Project,
    ProjectError,
    VideoRef,
    load_project,
)


@pytest.fixture(scope="module")
def detections(reach_video: Path) -> DetectionResult:
    return detect_video(reach_video, max_frames=20)


@pytest.fixture()
def project(reach_video: Path, detections: DetectionResult) -> Project:
    rng = np.random.default_rng(0)
    result = Project(VideoRef.from_file(reach_video), detections, weights={"stage1": {"lambda_2d": 0.05}, "lr": 0.05})
    result.move_keypoint(0, 3, 8, 201.5, 150.25)
    result.mark_keypoint(0, 3, 8, occluded=True)
    result.mark_keypoint(0, 7, 0, occluded=False)
    result.fits["right"] = HandFit(
        {
            "global_orient": rng.normal(size=(20, 3)),
            "hand_pose": rng.normal(size=(20, 45)),
            "betas": rng.normal(size=10),
            "transl": rng.normal(size=(20, 3)),
            "valid": rng.random(20) > 0.2,
        },
        {"preset": "lab", "iterations": 800},
    )
    return result


def read_members(path: Path) -> tuple[dict, bytes]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json")), archive.read("arrays.npz")


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_video_reference_describes_the_file(reach_video: Path) -> None:
    video = VideoRef.from_file(reach_video)
    assert video.num_frames == 202 and video.fps == pytest.approx(25.0) and video.size == (640, 360)
    assert len(video.sha256) == 64 and Path(video.path).is_absolute()


def test_edits_stay_apart_from_raw_detections_and_revert(project: Project) -> None:
    raw = project.track(0).keypoints.copy()
    effective = project.effective_keypoints(0)
    np.testing.assert_array_equal(effective[3, 8], [201.5, 150.25, 0.0])  # moved, then marked occluded
    np.testing.assert_array_equal(effective[7, 0], [*raw[7, 0, :2], 1.0])  # marked visible where it was
    changed = np.zeros(raw.shape[:2], dtype=bool)
    changed[3, 8] = changed[7, 0] = True
    np.testing.assert_array_equal(effective[~changed], raw[~changed])
    np.testing.assert_array_equal(project.track(0).keypoints, raw)
    assert project.num_edits == 2
    previous = project.set_edit(0, 3, 8, None)
    assert previous == KeypointEdit(201.5, 150.25, EditState.OCCLUDED)
    np.testing.assert_array_equal(project.effective_keypoints(0)[3, 8], raw[3, 8])
    with pytest.raises(ProjectError):
        project.move_keypoint(0, 20, 0, 1.0, 1.0)


def test_round_trip_keeps_everything(project: Project, tmp_path: Path) -> None:
    path = project.save(tmp_path / "reach.hmp")
    loaded = load_project(path)
    assert loaded.video == project.video and loaded.path == path
    assert loaded.edits == project.edits and loaded.weights == project.weights
    assert loaded.created == project.created and loaded.modified == project.modified
    assert loaded.detections.fps == project.detections.fps
    assert loaded.detections.image_size == project.detections.image_size
    assert loaded.detections.settings == project.detections.settings
    for a, b in zip(loaded.detections.tracks, project.detections.tracks):
        assert a.handedness == b.handedness
        for name in ("keypoints", "world", "boxes", "detected", "presence"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
            assert getattr(a, name).dtype == getattr(b, name).dtype
    assert loaded.fits["right"].metadata == project.fits["right"].metadata
    for name, array in project.fits["right"].arrays.items():
        np.testing.assert_array_equal(loaded.fits["right"].arrays[name], array)
    np.testing.assert_array_equal(loaded.effective_keypoints(0), project.effective_keypoints(0))


def test_project_without_detections_round_trips(reach_video: Path, tmp_path: Path) -> None:
    project = Project(VideoRef.from_file(reach_video))
    loaded = load_project(project.save(tmp_path / "empty.hmp"))
    assert loaded.detections is None and loaded.fits == {} and loaded.edits == {} and loaded.video == project.video


def test_resave_is_bit_identical(project: Project, tmp_path: Path) -> None:
    first = project.save(tmp_path / "a.hmp")
    second = load_project(first).save(tmp_path / "b.hmp")
    manifest_a, arrays_a = read_members(first)
    manifest_b, arrays_b = read_members(second)
    assert arrays_a == arrays_b
    assert {**manifest_a, "modified": None} == {**manifest_b, "modified": None}


def test_version_0_manifest_migrates(tmp_path: Path) -> None:
    assert sorted(MIGRATIONS) == list(range(SCHEMA_VERSION))
    keypoints = np.zeros((4, 21, 3))
    keypoints[..., 2] = 0.9
    manifest = {
        "version": 0,
        "saved": "2026-01-02T03:04:05+00:00",
        "video_path": "/videos/clip.mp4",
        "video_sha256": "ab" * 32,
        "fps": 25.0,
        "num_frames": 4,
        "width": 640,
        "height": 360,
        "hands": ["left"],
        "edits": [{"track": 0, "frame": 2, "joint": 5, "x": 10.0, "y": 20.0, "kind": "moved"}],
    }
    arrays = {
        "timestamps": np.arange(4) / 25.0,
        "track_0_keypoints": keypoints,
        "track_0_world": np.zeros((4, 21, 3)),
        "track_0_boxes": np.zeros((4, 4)),
        "track_0_detected": np.ones(4, dtype=bool),
        "track_0_presence": np.full(4, 0.9),
    }
    members = {"manifest.json": json.dumps(manifest).encode(), "arrays.npz": npz(**arrays)}
    path = write_archive(tmp_path / "old.hmp", members)
    project = load_project(path)
    assert project.video == VideoRef("/videos/clip.mp4", "ab" * 32, 25.0, 4, (640, 360))
    assert project.created == "2026-01-02T03:04:05+00:00"
    assert project.detections.tracks[0].handedness == "left"
    assert project.edits == {0: {(2, 5): KeypointEdit(10.0, 20.0, EditState.POSITION)}}
    np.testing.assert_array_equal(project.effective_keypoints(0)[2, 5], [10.0, 20.0, 1.0])
    project.save(path)  # a migrated project is saved in the current schema
    assert read_members(path)[0]["schema_version"] == SCHEMA_VERSION


def test_newer_schema_is_refused_and_not_overwritten(project: Project, tmp_path: Path) -> None:
    path = project.save(tmp_path / "future.hmp")
    manifest, arrays = read_members(path)
    manifest["schema_version"] = SCHEMA_VERSION + 1
    write_archive(path, {"manifest.json": json.dumps(manifest).encode(), "arrays.npz": arrays})
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="newer"):
        load_project(path)
    with pytest.raises(ProjectError, match="Refusing to overwrite"):
        project.save(path)
    assert path.read_bytes() == before


def damaged_files(good: Path, folder: Path) -> dict[str, Path]:
    """Ways a project file can be broken, each as a file."""
    manifest, arrays = read_members(good)
    data = good.read_bytes()
    files = {
        "not a zip": b"this is not a zip archive",
        "truncated": data[: len(data) // 2],
    }
    members = {
        "no manifest": {"arrays.npz": arrays},
        "no arrays": {"manifest.json": json.dumps(manifest).encode()},
        "bad json": {"manifest.json": b"{\"schema_version\": 1, ", "arrays.npz": arrays},
        "bad arrays": {"manifest.json": json.dumps(manifest).encode(), "arrays.npz": b"garbage"},
        "missing array": {"manifest.json": json.dumps(manifest).encode(), "arrays.npz": npz(other=np.zeros(2))},
        "no version": {"manifest.json": b"{}", "arrays.npz": arrays},
    }
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f"{name}.hmp"
        paths[name].write_bytes(content)
    for name, content in members.items():
        paths[name] = write_archive(folder / f"{name}.hmp", content)
    return paths


def test_damaged_files_raise_project_error_and_are_not_overwritten(project: Project, tmp_path: Path) -> None:
    good = project.save(tmp_path / "good.hmp")
    for name, path in damaged_files(good, tmp_path).items():
        with pytest.raises(ProjectError, match="damaged") as error:
            load_project(path)
        print(f"{name}: {error.value}")
        before = path.read_bytes()
        with pytest.raises(ProjectError, match="Refusing to overwrite"):
            project.save(path)
        assert path.read_bytes() == before, name
    with pytest.raises(ProjectError, match="no such file"):
        load_project(tmp_path / "absent.hmp")


def _write_half_then(error: BaseException):
    """A replacement for the temp-file writer that writes half the data, then fails."""

    def write(file, data: bytes) -> None:
        file.write(data[: len(data) // 2])
        file.flush()
        raise error

    return write


@pytest.mark.parametrize(
    "failure, raised",
    [(OSError(errno.ENOSPC, "No space left on device"), ProjectError), (KeyboardInterrupt(), KeyboardInterrupt)],
    ids=["disk full", "interrupted"],
)
def test_failed_save_leaves_previous_file_intact(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException, raised: type
) -> None:
    path = project.save(tmp_path / "project.hmp")
    before = path.read_bytes()
    project.move_keypoint(0, 5, 5, 1.0, 2.0)
    monkeypatch.setattr(atomic, "_write_all", _write_half_then(failure))
    with pytest.raises(raised):
        project.save()
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_project(path).num_edits == 2
    assert sorted(os.listdir(tmp_path)) == ["project.hmp"], "the temp file was left behind"


def test_save_to_unwritable_place_raises_project_error(project: Project, tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="Cannot save"):
        project.save(tmp_path / "no such folder" / "p.hmp")
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with pytest.raises(ProjectError, match="Cannot save"):
        project.save(blocker / "p.hmp")
    if os.geteuid() != 0:  # permission bits do not stop root
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ProjectError, match="Cannot save"):
            project.save(locked / "p.hmp")
    with pytest.raises(ProjectError, match="no file yet"):
        Project(project.video).save()


# ---- the editing API the studio's undo commands wrap ------------------------------------------------------


def with_gap(project: Project, frames: slice, joint: int) -> Project:
    """The project with the detector unsure of ``joint`` over ``frames`` of track 0 (a detection gap)."""
    project.detections = copy.deepcopy(project.detections)
    project.track(0).keypoints[frames, joint, 2] = 0.1
    return project


def test_apply_edits_returns_its_undo_and_checks_everything_first(project: Project) -> None:
    before = {key: edit for key, edit in project.edits[0].items()}
    changes = {(3, 8): None, (4, 1): KeypointEdit(5.0, 6.0, EditState.POSITION)}
    undo = project.apply_edits(0, changes)
    assert undo == {(3, 8): before[(3, 8)], (4, 1): None}
    assert project.edit(0, 4, 1) == changes[(4, 1)] and project.edit(0, 3, 8) is None
    assert project.apply_edits(0, undo) == changes
    assert project.edits[0] == before
    with pytest.raises(ProjectError):
        project.apply_edits(0, {(5, 5): KeypointEdit(1.0, 1.0, EditState.POSITION), (99, 0): None})
    assert project.edits[0] == before, "a bad change must not apply the good ones before it"


def test_frame_keypoints_match_the_effective_track(project: Project) -> None:
    effective = project.effective_keypoints(0)
    for frame in (3, 7, 12):
        np.testing.assert_array_equal(project.frame_keypoints(0, frame), effective[frame])


def test_marking_a_finger_over_a_range_keeps_positions_and_skips_no_ops(project: Project) -> None:
    index_finger = (5, 6, 7, 8)
    changes = project.marking_edits(0, range(2, 6), index_finger, occluded=True)
    assert (3, 8) not in changes, "already marked occluded: a no-op"
    assert len(changes) == 4 * 4 - 1
    raw = project.track(0).keypoints
    assert changes[(2, 5)] == KeypointEdit(*raw[2, 5, :2], EditState.OCCLUDED)
    project.apply_edits(0, changes)
    assert (project.effective_keypoints(0)[2:6, 5:9, 2] == 0).all()
    visible = project.marking_edits(0, range(2, 6), index_finger, occluded=False)
    assert visible[(3, 8)] == KeypointEdit(201.5, 150.25, EditState.VISIBLE), "marked where the user placed it"


def test_marking_visible_skips_keypoints_without_a_position(project: Project) -> None:
    project.detections = copy.deepcopy(project.detections)
    project.track(0).detected[10] = False
    changes = project.marking_edits(0, [10, 11], [0], occluded=False)
    assert list(changes) == [(11, 0)]
    assert (10, 0) in project.marking_edits(0, [10, 11], [0], occluded=True)


def test_revert_edits_returns_frames_to_the_detection(project: Project) -> None:
    project.move_keypoint(0, 7, 4, 1.0, 2.0)
    changes = project.revert_edits(0, [7])
    assert changes == {(7, 0): None, (7, 4): None}
    project.apply_edits(0, changes)
    np.testing.assert_array_equal(project.effective_keypoints(0)[7], project.track(0).keypoints[7])
    assert project.edit(0, 3, 8) is not None, "other frames keep their edits"


def test_interpolation_fills_gaps_between_trusted_frames_in_time(project: Project) -> None:
    with_gap(project, slice(5, 10), joint=11)
    project.detections.timestamps[6:] += 0.2  # variable frame rate: frame 6 is far from frame 5
    project.move_keypoint(0, 4, 11, 100.0, 50.0)
    project.move_keypoint(0, 10, 11, 200.0, 150.0)
    changes = project.interpolation_edits(0, 0, 19, [11])
    assert sorted(changes) == [(frame, 11) for frame in range(5, 10)]
    times = project.detections.timestamps
    for frame in range(5, 10):
        weight = (times[frame] - times[4]) / (times[10] - times[4])
        edit = changes[(frame, 11)]
        assert edit.state is EditState.POSITION
        assert (edit.x, edit.y) == pytest.approx((100 + 100 * weight, 50 + 100 * weight))
    assert changes[(6, 11)].x - changes[(5, 11)].x > 3 * (changes[(7, 11)].x - changes[(6, 11)].x)
    assert project.interpolation_edits(0, 0, 19, [15]) == {}, "a confident joint has no gap to fill"


def test_interpolation_never_crosses_an_occlusion_or_the_range(project: Project) -> None:
    with_gap(project, slice(5, 10), joint=11)
    project.mark_keypoint(0, 7, 11, occluded=True)
    assert project.interpolation_edits(0, 0, 19, [11]) == {}
    project.set_edit(0, 7, 11, None)
    assert project.interpolation_edits(0, 0, 8, [11]) == {}, "the gap's far side lies outside the range"
    assert project.interpolation_edits(0, 5, 19, [11]) == {}, "the gap's near side lies outside the range"
    assert len(project.interpolation_edits(0, 4, 10, [11])) == 5


def test_save_copy_leaves_the_project_file_alone(project: Project, tmp_path: Path) -> None:
    path = project.save(tmp_path / "project.hmp")
    modified = project.modified
    project.move_keypoint(0, 9, 9, 3.0, 4.0)
    copy = project.save_copy(tmp_path / "autosave.hmp")
    assert project.path == path and project.modified == modified
    assert load_project(copy).edits == project.edits and load_project(path).num_edits == 2
