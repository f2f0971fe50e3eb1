"""Hands that leave the picture: frame states (observed, infilled, absent), the fit and its exports leaving absent
frames out, the overlay drawing none there and infilled frames dimmed, the timeline shading both, the Fit dock's
longest infilled gap, and phantom tracks merged or dropped.

The clip is made at test time from the bundled sample by sliding a crop window across it (`leaving_clip`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hmp_engine.cli import main
from hmp_engine.cli.info import summary
from hmp_engine.detection import DetectionResult, HandObservation, detect_video, link_tracks
from hmp_engine.detection.presence import ABSENT, DEFAULT_MAX_GAP_S, INFILLED, OBSERVED, frame_states
from hmp_engine.export import ExportOptions, export_project
from hmp_engine.fitting import FitSettings, ProjectFit, default_prior_path, fit_project, preset
from hmp_engine.fitting.losses import translation_smoothness
from hmp_engine.hand_model import load_hand_model
from hmp_engine.motion_file import read_motion
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.render import OverlayOptions, fit_models, overlay_renderer
from hmp_engine.session import Project, VideoRef, load_project
from hmp_engine.video import open_video
from hmp_studio.docks.weights_tree import MAX_GAP, WeightsTree
from hmp_studio.views.timeline_image import ABSENT_FILL, INFILLED_STRIPES, ROWS_PER_TRACK, timeline_rgba
from tests.engine.blender_reader import blender_process, import_into_blender
from tests.engine.leaving_clip import LeavingClip, make_leaving_clip
from tests.paths import SAMPLE_VIDEO

pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")  # PyOpenGL 3.1.0 reading pixels
HALF_OUT_LEFT = 270  # the window's rest with the hand cut in half by the right edge


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> LeavingClip:
    return make_leaving_clip(SAMPLE_VIDEO, tmp_path_factory.mktemp("leaving") / "leaving.mp4")


@pytest.fixture(scope="module")
def detection(clip: LeavingClip) -> DetectionResult:
    return detect_video(clip.path)


@pytest.fixture(scope="module")
def fitted(clip: LeavingClip, detection: DetectionResult) -> tuple[Project, ProjectFit]:
    """The clip detected and fitted with short stages, and the fit with its initialisation."""
    project = Project(VideoRef.from_file(clip.path), detection)
    prior = load_prior(default_prior_path(), "cpu")
    fit = fit_project(project, {"right": load_hand_model("open", "right")}, preset().with_iterations(30, 30, 0),
                      prior, device="cpu")
    project.fits.update(fit.fits)
    return project, fit


@pytest.fixture(scope="module")
def project(fitted: tuple[Project, ProjectFit]) -> Project:
    return fitted[0]


def test_the_hand_keeps_one_track_through_its_exit(detection: DetectionResult, clip: LeavingClip) -> None:
    assert [track.handedness for track in detection.tracks] == ["right"]  # no short track beside it either
    detected = detection.tracks[0].detected
    assert not detected[list(clip.blanked)].any() and not detected[list(clip.out)].any()
    assert detected[: clip.blanked.start].all() and detected[-10:].all()


def test_leaving_frames_are_absent_and_the_short_occlusion_infilled(fitted: tuple[Project, ProjectFit],
                                                                   clip: LeavingClip) -> None:
    project, result = fitted
    fit = project.fits["right"].arrays
    valid, observed = fit["valid"], fit["observed"]
    assert valid[list(clip.blanked)].all() and not observed[list(clip.blanked)].any()  # infilled
    assert not valid[list(clip.out)].any()  # absent: left through the right edge
    assert (valid == observed)[: clip.blanked.start].all() and (valid & observed)[-10:].all()
    init = result.inits["right"]
    states = init.state
    assert set(np.unique(states[list(clip.blanked)])) == {INFILLED}
    assert set(np.unique(states[list(clip.out)])) == {ABSENT}
    hand = result.result.hands["right"]
    absent = ~hand.valid
    np.testing.assert_allclose(hand.transl[absent], init.transl[absent], atol=1e-6)  # not optimised


def test_the_motion_npz_says_which_frames_are_absent_and_infilled(project: Project, clip: LeavingClip,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "motion.npz"
    export_project(project, path, "npz")
    hand = read_motion(path).right
    assert hand is not None and hand.observed is not None
    assert not hand.valid[list(clip.out)].any()
    assert hand.valid[list(clip.blanked)].all() and not hand.observed[list(clip.blanked)].any()
    with np.load(path) as data:
        assert data["right_observed"].dtype == bool and data["right_observed"].sum() < data["right_valid"].sum()
    line = next(line for line in summary(project) if line.startswith("  right: "))  # hmp info
    assert line.endswith(f"frames observed, {len(clip.blanked)} infilled, {int((~hand.valid).sum())} absent")
    resampled = tmp_path / "motion_15fps.npz"
    export_project(project, resampled, "npz", ExportOptions(fps=15.0))
    assert not read_motion(resampled).right.valid[clip.out.start // 2 + 1: clip.out.stop // 2 - 1].any()


@pytest.mark.parametrize("suffix", [".fbx", ".glb"])
def test_animation_exports_hide_the_hand_on_absent_frames(project: Project, clip: LeavingClip, tmp_path: Path,
                                                         suffix: str) -> None:
    """Blender's importers see the skinned mesh collapsed to a point on an absent frame and whole elsewhere."""
    path = tmp_path / f"leaving{suffix}"
    export_project(project, path, suffix[1:])
    extents = {}
    with blender_process() as blender:
        for frame in (clip.out.start + 20, clip.blanked.start + 2, clip.blanked.start - 2):
            scene = blender.submit(import_into_blender, path, {}, 1, mesh_frame=frame,
                                   scene_fps=clip.fps if suffix == ".glb" else None).result()
            extents[frame] = float(np.ptp(scene.meshes["right_hand_mesh"], axis=0).max())  # glTF adds bone shapes
    assert extents[clip.out.start + 20] < 1e-4
    assert extents[clip.blanked.start + 2] > 0.05 and extents[clip.blanked.start - 2] > 0.05


def test_the_overlay_draws_no_mesh_on_absent_frames_and_a_dimmed_one_on_infilled(project: Project,
                                                                                 clip: LeavingClip) -> None:
    renderer = overlay_renderer(project, fit_models(project, "open"), OverlayOptions(opacity=1.0))
    absent, infilled, seen = clip.out.start + 20, clip.blanked.start + 2, clip.blanked.start - 2
    with open_video(clip.path) as video:
        images = {index: video.frame(index) for index in (absent, infilled, seen)}
    drawn = {index: renderer.render(index, image) for index, image in images.items()}
    assert not drawn[absent][1].any() and np.array_equal(drawn[absent][0], images[absent])
    assert drawn[infilled][1].sum() > 500 and drawn[seen][1].sum() > 500
    brightness = {index: drawn[index][0][drawn[index][1]].astype(float).mean(axis=0) for index in (infilled, seen)}
    saturation = {index: np.ptp(value) for index, value in brightness.items()}
    assert brightness[infilled].mean() < 0.7 * brightness[seen].mean()
    assert saturation[infilled] < 0.6 * saturation[seen]


def test_no_short_track_beside_the_real_hand_when_it_rests_half_out(tmp_path: Path) -> None:
    """The cut hand was also read as a smaller left hand nested in its box: a 23-frame phantom track before
    duplicates were judged by containment (the wholly-leaving clip is checked above)."""
    clip = make_leaving_clip(SAMPLE_VIDEO, tmp_path / "clip.mp4", HALF_OUT_LEFT)
    tracks = detect_video(clip.path).tracks
    assert [track.handedness for track in tracks] == ["right"]
    assert tracks[0].detected[list(clip.out)].all()


def _hand(x: float, y: float, side: str = "right", score: float = 0.9) -> HandObservation:
    """A 40x40 px hand with its wrist at (x, y)."""
    grid = np.stack(np.meshgrid(np.linspace(0, 40, 7), np.linspace(0, 40, 3)), axis=-1).reshape(21, 2)
    return HandObservation(grid + (x, y), side, score)


def test_short_tracks_are_merged_into_the_gap_they_fill_or_dropped_beside_a_real_hand() -> None:
    frames: list[list[HandObservation]] = [[_hand(100 + 2 * t, 100)] for t in range(20)]
    frames += [[_hand(208, 100, "left", 0.8)] for _ in range(3)]  # a misread in the gap, 1.2 boxes from the hand
    frames += [[] for _ in range(4)]
    frames += [[_hand(170 + t, 100)] for t in range(20)]
    frames[30].append(_hand(600, 400))  # two stray frames far away while the hand is seen
    frames[31].append(_hand(602, 400))
    tracks = link_tracks(frames)
    assert tracks == [[(t, 0) for t in range(23)] + [(t, 0) for t in range(27, 47)]]
    alone = [[_hand(600, 400, "left")] for _ in range(3)]  # a brief hand with no other: kept
    assert link_tracks(alone) == [[(t, 0) for t in range(3)]]


def test_frame_states_tell_an_exit_from_an_occlusion() -> None:
    times = np.arange(200) / 30.0
    size = (640, 480)
    boxes = np.tile([300.0, 200.0, 360.0, 260.0], (200, 1))
    observed = np.ones(200, dtype=bool)
    observed[50:110] = False  # 60 frames (2 s) in mid-image: still infilled by default
    observed[150:160] = False
    states = frame_states(observed, boxes, times, size)
    assert (states[50:110] == INFILLED).all() and (states[150:160] == INFILLED).all()
    assert (states[observed] == OBSERVED).all()
    assert (frame_states(observed, boxes, times, size, max_gap_s=1.0)[50:110] == ABSENT).all()
    exiting = boxes.copy()
    exiting[145:150] = [[560.0 + 20 * k, 200.0, 620.0 + 20 * k, 260.0] for k in range(5)]  # out through the right
    states = frame_states(observed, exiting, times, size)
    assert (states[150:160] == ABSENT).all() and (states[50:110] == INFILLED).all()
    resting = boxes.copy()
    resting[140:150] = [590.0, 200.0, 638.0, 260.0]  # at the border but still: hidden, not leaving
    assert (frame_states(observed, resting, times, size)[150:160] == INFILLED).all()
    observed[:5] = False
    assert (frame_states(observed, boxes, times, size)[:5] == ABSENT).all()


def test_smoothness_ties_no_step_that_touches_an_absent_frame() -> None:
    transl = torch.tensor([[0.0, 0, 0], [0.0, 0, 0], [5.0, 0, 0], [5.0, 0, 0]])
    dt = torch.full((3,), 0.1)
    present = torch.tensor([True, True, False, True])
    assert float(translation_smoothness(transl, dt, present)) == 0.0
    assert float(translation_smoothness(transl, dt)) > 0.0


def test_the_fit_dock_edits_the_longest_infilled_gap_and_the_project_keeps_it(qtbot) -> None:
    tree = WeightsTree()
    qtbot.addWidget(tree)
    assert tree.settings().max_gap_s == DEFAULT_MAX_GAP_S
    tree.root.child(MAX_GAP).setValue(0.5)
    stored = tree.settings().to_dict()  # what a fit stores as the project's weights
    assert FitSettings.from_dict(stored).max_gap_s == 0.5
    tree.load(FitSettings.from_dict(stored))
    assert tree.settings().max_gap_s == 0.5


def test_the_timeline_shades_infilled_and_absent_frames(project: Project, clip: LeavingClip) -> None:
    rows = timeline_rgba(project, clip.num_frames)[1:ROWS_PER_TRACK]  # the joint rows of the fitted track
    infilled, absent = rows[:, list(clip.blanked), :3], rows[:, list(clip.out), :3]
    assert (rows[:, list(clip.blanked), 3] == 255).all() and (rows[:, list(clip.out), 3] == 255).all()
    assert (infilled[..., None, :] == np.stack(INFILLED_STRIPES)).all(axis=-1).any(axis=-1).all()
    assert (absent == ABSENT_FILL).all()


def test_hmp_fit_takes_the_longest_infilled_gap(project: Project, clip: LeavingClip, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = project.save(tmp_path / "leaving.hmp")
    assert main(["fit", str(path), "--max-gap", "-1"]) == 1
    assert "--max-gap takes seconds >= 0" in capsys.readouterr().err
    assert main(["fit", str(path), "--max-gap", "0.1", "--iterations", "2", "2", "0"]) == 0
    fit = load_project(path)
    assert not fit.fits["right"].arrays["valid"][list(clip.blanked)].any()  # 5 frames = 0.17 s > 0.1 s: absent
    assert FitSettings.from_dict(fit.weights).max_gap_s == 0.1
