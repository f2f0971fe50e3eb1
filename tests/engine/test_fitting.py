"""The fit: windows and their cross-fade, loss terms, presets, and real fits of detected hands (gaps, seams, two
hands, frame rates, cancel, determinism, NaN recovery, baselines, stage 3)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from hmp_engine.camera import Camera
from hmp_engine.detection import DetectionResult, KeypointTrack, detect_video
from hmp_engine.fitting import METHODS, FitSettings, fit_figures, fit_hands, hand_process, losses, pose_models, preset
from hmp_engine.fitting import fit as fit_module
from hmp_engine.fitting import problem as problem_module
from hmp_engine.fitting.mirror import side_by_side_mirror
from hmp_engine.fitting.pose_models import PriorCodec, WindowedPose
from hmp_engine.fitting.windows import layout_windows
from hmp_engine.hand_model import load_hand_model
from hmp_engine.initialisation import HandInit, initialise_hand
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.progress import Cancelled, CancelToken, ProgressEvent
from hmp_engine.rotations import axis_angle_to_matrix, geodesic_distance, mirror_axis_angle
from tests.paths import REPO_ROOT

PRIOR = REPO_ROOT / "resources" / "priors" / "default.pt"
FRAMES = 200  # of the 621-frame sample: enough for two windows, short enough for the test budget


# ---- windows ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fps, frames", [(30.0, 621), (25.0, 517), (59.94, 1240), (30.0, 40)])
def test_window_weights_cover_every_frame_and_sum_to_one(fps: float, frames: int) -> None:
    layout = layout_windows(np.arange(frames) / fps, 127 / 30)
    total = np.zeros(frames)
    np.add.at(total, layout.frames.ravel(), layout.weight.ravel())
    slots, weights = layout.frame_slots()
    assert np.allclose(total, 1.0) and np.allclose(weights.sum(axis=1), 1.0)
    assert all(np.all(layout.frames.ravel()[slots[t][weights[t] > 0]] == t) for t in range(frames))
    assert layout.starts[0] == 0 and layout.starts[-1] + layout.span >= (frames - 1) / fps - 1e-9
    if layout.num_windows > 1:
        overlap = layout.span - np.diff(layout.starts)
        assert np.all(overlap >= 0.25 * layout.span - 1e-9)
        left, right = layout.overlap_pairs()
        assert len(left) and np.array_equal(layout.frames.ravel()[left], layout.frames.ravel()[right])


def test_windows_cut_the_same_time_span_at_any_frame_rate() -> None:
    at_30 = layout_windows(np.arange(621) / 30.0, 127 / 30)
    at_25 = layout_windows(np.arange(518) / 25.0, 127 / 30)
    assert np.allclose(at_30.starts, at_25.starts, atol=0.05)


def test_cross_fade_is_continuous() -> None:
    layout = layout_windows(np.arange(400) / 30.0, 127 / 30)
    per_window = np.zeros((layout.num_windows, 400))
    for k in range(layout.num_windows):
        per_window[k, layout.frames[k]] = layout.weight[k]
    assert np.abs(np.diff(per_window, axis=1)).max() < 0.05


# ---- loss terms -------------------------------------------------------------------------------------------


def test_geman_mcclure_is_quadratic_near_zero_and_bounded() -> None:
    residual = torch.tensor([0.0, 1.0, 1e6])
    penalty = losses.geman_mcclure(residual, 40.0)
    assert penalty[0] == 0 and penalty[1] == pytest.approx(1.0, rel=1e-3) and penalty[2] <= 1600


def test_reprojection_loss_does_not_depend_on_resolution() -> None:
    generator = torch.Generator().manual_seed(0)
    keypoints = 200 + 100 * torch.rand(5, 21, 2, generator=generator)
    projected = keypoints + 5 * torch.randn(5, 21, 2, generator=generator)
    confidence = torch.rand(5, 21, generator=generator)
    box = torch.full((5,), 140.0)
    small = losses.reprojection_loss(projected, keypoints, confidence, box)
    large = losses.reprojection_loss(3 * projected, 3 * keypoints, confidence, 3 * box)
    assert torch.allclose(small, large)


def test_masked_terms_ignore_unobserved_frames_and_never_divide_by_zero() -> None:
    values = torch.tensor([[1.0], [100.0]])
    assert losses.masked_mean(values, torch.tensor([True, False])) == 1.0
    assert losses.masked_mean(values, torch.tensor([False, False])) == 0.0
    keypoints = torch.zeros(2, 21, 2)
    confidence = torch.zeros(2, 21)
    assert losses.reprojection_loss(keypoints + 1, keypoints, confidence, torch.ones(2)) == 0.0


def test_velocity_and_acceleration_terms_use_real_time() -> None:
    def motion(fps: float) -> tuple[torch.Tensor, torch.Tensor]:
        times = torch.arange(0, 2, 1 / fps, dtype=torch.float64)
        return torch.stack([torch.sin(3 * times), times**2, 0 * times], dim=1), torch.diff(times)

    at_25, at_30 = motion(25.0), motion(30.0)
    for term in (losses.translation_smoothness, losses.acceleration_loss):
        assert float(term(*at_25)) == pytest.approx(float(term(*at_30)), rel=0.05)


def test_orientation_acceleration_punishes_jitter_far_more_than_a_steady_turn() -> None:
    times = torch.arange(0, 2, 1 / 30, dtype=torch.float64)
    dt = torch.diff(times)
    turn = 3.0 * times[:, None] * torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)  # 3 rad/s about y
    jitter = 0.02 * torch.randn(len(times), 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    steady, shaky = (losses.orientation_acceleration(axis_angle_to_matrix(angles), dt)
                     for angles in (turn, turn + jitter))
    assert float(steady) == pytest.approx(3.0**4 * 2 / 9, rel=0.05)  # centripetal only: |R''|^2 = 2 w^4 over 9 entries
    assert float(shaky) > 20 * float(steady)  # 1 degree of jitter outweighs a 3 rad/s turn 50 times


# ---- presets ----------------------------------------------------------------------------------------------


def test_lab_preset_is_the_papers_table_2() -> None:
    stage1, stage2, stage3 = preset("lab").stages
    assert (stage1.lr, stage2.lr) == (0.05, 0.05) and stage3.iterations == 0
    assert {k: stage1.weight(k) for k in ("orient", "transl", "orient_smooth", "transl_smooth", "betas", "2d")} == {
        "orient": 3, "transl": 1, "orient_smooth": 1, "transl_smooth": 5, "betas": 3, "2d": 0.05}
    assert {k: stage2.weight(k) for k in ("orient", "transl", "orient_smooth", "betas", "2d", "prior")} == {
        "orient": 2, "transl": 1, "orient_smooth": 1, "betas": 10, "2d": 0.05, "prior": 300}


def test_settings_round_trip_through_json_and_reject_unknown_weights() -> None:
    for method in METHODS:
        settings = preset("wild", method).with_iterations(7, 9)
        settings.stages[1].weights["2d"] = 0.123
        again = FitSettings.from_dict(json.loads(json.dumps(settings.to_dict())))
        assert again == settings and again.stages[0].iterations == 7
    data = preset().to_dict()
    data["stages"][0]["weights"]["reprojection"] = 1.0
    with pytest.raises(ValueError, match="unknown loss weight"):
        FitSettings.from_dict(data)
    with pytest.raises(ValueError):
        preset("studio")


# ---- real fits of detected hands --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(sample_video: Path) -> DetectionResult:
    """The first FRAMES frames of the sample, detected."""
    return detect_video(sample_video, max_frames=FRAMES)


@pytest.fixture(scope="module")
def prior() -> torch.nn.Module:
    return load_prior(PRIOR)


@pytest.fixture(scope="module")
def models() -> dict:
    return {side: load_hand_model("open", side) for side in ("right", "left")}


def initialise(result: DetectionResult, models: dict, track: KeypointTrack | None = None) -> tuple[HandInit, Camera]:
    """The initialisation of a track (default: the first) under the default camera."""
    track = track or result.tracks[0]
    camera = Camera.default(result.image_size)
    init = initialise_hand(models[track.handedness], track.keypoints, track.world, track.detected,
                           result.timestamps, camera, models["right"])
    return init, camera


def hidden(track: KeypointTrack, frames: slice) -> KeypointTrack:
    """The track with the given frames undetected (as the detector reports them: zeros)."""
    arrays = {name: getattr(track, name).copy() for name in ("keypoints", "world", "boxes", "detected", "presence")}
    for array in arrays.values():
        array[frames] = 0
    return KeypointTrack(handedness=track.handedness, **arrays)


def quick(name: str = "wild", method: str = "hmp", *iterations: int) -> FitSettings:
    return preset(name, method).with_iterations(*(iterations or (60, 60)))


def test_fitted_hand_follows_a_plausible_path_through_a_40_frame_gap(sample, prior, models) -> None:
    gap = slice(80, 120)
    track = hidden(sample.tracks[0], gap)
    init, camera = initialise(sample, models, track)
    assert not init.transl_observed[gap].any() and init.transl_observed[:80].all()
    hand = fit_hands({"right": init}, models, camera, preset(), prior).hands["right"]
    wrist = hand.joints[:, 0]
    steps = np.linalg.norm(np.diff(wrist, axis=0), axis=1)
    inside, outside = steps[79:120], np.concatenate([steps[:79], steps[120:]])
    assert np.isfinite(hand.joints).all() and hand.valid.all()
    assert inside.max() <= outside.max(), "the wrist jumps inside the gap"
    observed = np.ones(FRAMES, dtype=bool)
    observed[gap] = False
    assert wrist[gap, 2].min() > 0.8 * wrist[observed, 2].min(), "the wrist moves toward the camera centre"
    truth = sample.tracks[0].keypoints[gap, 0, :2]
    error = np.linalg.norm(camera.project_numpy(wrist[gap]) - truth, axis=1)
    assert error.mean() < 0.1 * camera.diagonal, "the infilled wrist strays far from where the hand really was"


def window_edges(layout, offset: int = 0) -> set[int]:
    """Frames where a window's coverage begins or ends, excluding the sequence's own ends."""
    edges = {int(f) for frames, weight in zip(layout.frames, layout.weight) for f in (frames[weight > 0].min(),
                                                                                       frames[weight > 0].max())}
    return {edge + offset for edge in edges - {0, int(layout.frames.max())}}


def test_no_seams_where_windows_overlap(sample, prior, models) -> None:
    """A seam is an artefact of where windows are cut. Fitting the clip, and the clip without its first 40 frames,
    cuts windows at different frames; around a frame that is a window edge in one fit only, both fits must move
    the fingers alike (and the fit must still be far smoother than the per-frame initialisation)."""
    settings = preset()
    span = (prior.window_frames - 1) / prior.fps
    hands, edges, inits = [], [], []
    for start in (0, 40):
        clip = DetectionResult([KeypointTrack(handedness="right", **{
            name: getattr(sample.tracks[0], name)[start:] for name in
            ("keypoints", "world", "boxes", "detected", "presence")})], sample.fps, sample.timestamps[start:],
            sample.image_size)
        init, camera = initialise(clip, models)
        hands.append(fit_hands({"right": init}, models, camera, settings, prior).hands["right"])
        edges.append(window_edges(layout_windows(init.times, span, settings.min_overlap), start))
        inits.append(init)
    exclusive = sorted((edges[0] ^ edges[1]) - set(range(43)) - {FRAMES - 1})
    assert exclusive, "the two fits cut their windows at the same frames"

    def finger_acceleration(joints: np.ndarray, start: int) -> np.ndarray:
        """Largest finger-joint acceleration at each frame of the sample (NaN where the clip has none)."""
        local = joints - joints[:, :1]
        values = np.full(FRAMES, np.nan)
        values[start + 1:start + len(joints) - 1] = np.linalg.norm(local[:-2] - 2 * local[1:-1] + local[2:],
                                                                   axis=-1).max(axis=1)
        return values

    full, cut = finger_acceleration(hands[0].joints, 0), finger_acceleration(hands[1].joints, 40)
    for edge in exclusive:
        near = slice(edge - 2, edge + 3)
        assert np.abs(full[near] - cut[near]).max() <= 0.25 * max(full[near].max(), cut[near].max()) + 1e-3
    after, before = (fit_figures(joints, inits[0], camera) for joints in (hands[0].joints, hands[0].init_joints))
    assert after["acceleration_mm_per_frame2"] < 0.5 * before["acceleration_mm_per_frame2"]


@pytest.fixture
def torch_threads() -> Iterator[Callable[[int], None]]:
    """Sets torch's thread count for a test and restores it afterwards."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.fixture
def two_hands(sample, models) -> tuple[dict[str, HandInit], Camera]:
    scene = side_by_side_mirror(sample)
    inits = {track.handedness: initialise(scene, models, track)[0] for track in scene.tracks}
    return inits, Camera.default(scene.image_size)


def test_two_hands_side_by_side_fit_as_mirror_images(two_hands, prior, models, torch_threads, monkeypatch) -> None:
    inits, camera = two_hands
    torch_threads(1)  # one batched problem (with more threads each hand has a process: see below)
    monkeypatch.setattr(pose_models, "native_bfloat16", lambda device: False)  # its rounding depends on batch size
    settings = quick("wild", "hmp", 80, 80)
    hands = fit_hands(inits, models, camera, settings, prior).hands
    assert set(hands) == {"right", "left"}
    for side, hand in hands.items():
        assert fit_figures(hand.joints, inits[side], camera)["reprojection_median_px"] < 15
    mirrored = hands["right"].joints * np.array([-1.0, 1.0, 1.0])
    assert np.median(np.linalg.norm(hands["left"].joints - mirrored, axis=-1)) < 0.005
    assert np.allclose(hands["left"].hand_pose, mirror_axis_angle(hands["right"].hand_pose), atol=0.05)
    # Hands must not influence each other. Fitted together they are one batched problem, whose float rounding
    # differs from a lone fit's by ~1e-7 per step (Adam amplifies that over hundreds of steps), so: a short fit
    # matches the lone fit to rounding, and moving the other hand's keypoints changes nothing at all.
    short = quick("wild", "hmp", 10, 10, 0)
    alone = fit_hands({"right": inits["right"]}, models, camera, short, prior).hands["right"]
    together = fit_hands(inits, models, camera, short, prior).hands
    assert np.allclose(alone.joints, together["right"].joints, atol=1e-5)
    moved = {"right": inits["right"], "left": replace(inits["left"], keypoints=inits["left"].keypoints + 7.0)}
    beside_moved = fit_hands(moved, models, camera, short, prior).hands
    assert np.array_equal(beside_moved["right"].joints, together["right"].joints)
    assert not np.allclose(beside_moved["left"].joints, together["left"].joints, atol=1e-3)


class RecordedProcess(hand_process.HandProcess):
    """A hand process that keeps a record of itself."""

    started: list[hand_process.HandProcess] = []

    def __init__(self, arguments: dict) -> None:
        super().__init__(arguments)
        RecordedProcess.started.append(self)


def test_a_second_hand_is_fitted_in_its_own_process_as_alone(two_hands, prior, models, torch_threads,
                                                            monkeypatch) -> None:
    monkeypatch.setattr(fit_module, "HandProcess", RecordedProcess)
    inits, camera = two_hands
    short = quick("wild", "hmp", 10, 10, 0)
    RecordedProcess.started.clear()
    torch_threads(1)
    alone = {side: fit_hands({side: init}, models, camera, short, prior) for side, init in inits.items()}
    fit_hands(inits, models, camera, quick("wild", "hmp", 1, 1, 0), prior)
    assert not RecordedProcess.started  # on one thread the hands are one batch
    torch_threads(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed child would warn and be fitted here
        side_by_side = fit_hands(inits, models, camera, short, prior)
    assert len(RecordedProcess.started) == 1 and not RecordedProcess.started[0].folder.exists()
    assert torch.get_num_threads() == 2
    for side in inits:
        assert np.array_equal(side_by_side.hands[side].joints, alone[side].hands[side].joints)
    assert len(side_by_side.stages) == 2
    for stage, apart in enumerate(side_by_side.stages):
        assert apart.iterations == 10
        assert apart.losses["loss"] == pytest.approx(sum(fit.stages[stage].losses["loss"] for fit in alone.values()))


def test_a_failed_hand_process_costs_time_not_the_hand(two_hands, prior, models, torch_threads, monkeypatch) -> None:
    monkeypatch.setattr(hand_process, "COMMAND", (sys.executable, "-c", "print('out of memory'); raise SystemExit(3)"))
    inits, camera = two_hands
    torch_threads(2)
    with pytest.warns(RuntimeWarning, match="exit status 3: out of memory; fitting the left hand in this process"):
        hands = fit_hands(inits, models, camera, quick("wild", "hmp", 5, 5, 0), prior).hands
    assert set(hands) == {"right", "left"} and np.isfinite(hands["left"].joints).all()


def test_a_hand_process_that_cannot_start_costs_time_not_the_hand(two_hands, prior, models, torch_threads,
                                                                 monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(hand_process, "COMMAND", (str(tmp_path / "no-python"),))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    inits, camera = two_hands
    torch_threads(2)
    with pytest.warns(RuntimeWarning, match="could not start .*no-python.*; fitting the left hand in this process"):
        hands = fit_hands(inits, models, camera, quick("wild", "hmp", 5, 5, 0), prior).hands
    assert set(hands) == {"right", "left"} and np.isfinite(hands["left"].joints).all()
    assert not list(tmp_path.glob("hmp-fit-*"))  # its folder went with it


def test_cancelling_a_two_hand_fit_stops_its_hand_process(two_hands, prior, models, torch_threads,
                                                        monkeypatch) -> None:
    monkeypatch.setattr(fit_module, "HandProcess", RecordedProcess)
    RecordedProcess.started.clear()
    inits, camera = two_hands
    token = CancelToken()
    torch_threads(2)
    with pytest.raises(Cancelled):
        fit_hands(inits, models, camera, quick("wild", "hmp", 200, 200), prior, progress=lambda event: token.cancel(),
                  cancel=token)
    child = RecordedProcess.started[0]
    assert child._process.returncode is not None and not child.folder.exists()


def running(pid: int) -> bool:
    """Whether a process runs (a zombie does not), from Linux's /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from Linux's /proc")
def test_a_hand_process_ends_when_its_caller_is_killed() -> None:
    child = ("import sys, time; from hmp_engine.fitting import hand_process as h; "
             "h.watch_parent(sys.argv[1], int(sys.argv[2])); time.sleep(60)")
    caller = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from hmp_engine.fitting import hand_process as h; "
        f"h.COMMAND = (sys.executable, '-c', {child!r}); p = h.HandProcess({{}}); "
        "print(p.folder, p._process.pid, flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    assert caller.stdout is not None
    folder, pid = caller.stdout.readline().split()
    assert Path(folder).is_dir() and running(int(pid))
    caller.kill()
    caller.wait()
    caller.stdout.close()
    deadline = time.monotonic() + 10
    while running(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(int(pid)) and not Path(folder).exists()


def test_bfloat16_decoding_stays_within_a_fraction_of_a_degree_of_float32(prior) -> None:
    codes = torch.randn(3, prior.latent_dim, generator=torch.Generator().manual_seed(0))
    phase = torch.linspace(0, 1, 64).expand(3, 64)
    exact, fast = (PriorCodec(prior, bfloat16=flag).decode(codes, phase) for flag in (False, True))
    assert fast.dtype == torch.float32 and not torch.equal(exact, fast)  # bfloat16 did run
    angles = geodesic_distance(*(axis_angle_to_matrix(pose.reshape(-1, 15, 3)) for pose in (exact, fast)))
    assert float(angles.mean()) < np.radians(0.5)
    assert pose_models.native_bfloat16(torch.device("meta")) is False  # only CPUs are switched, where measured


def test_decoding_follows_real_time_at_any_frame_rate(prior) -> None:
    def decoded_at(fps: float) -> tuple[np.ndarray, np.ndarray]:
        times = np.arange(0, 3.0 + 1e-9, 1 / fps)
        pose = np.zeros((len(times), 45))
        pose[:, 2::3] = 0.6 * (1 + np.sin(2 * np.pi * 0.5 * times))[:, None]  # all fingers curl and open at 0.5 Hz
        layout = layout_windows(times, (prior.window_frames - 1) / prior.fps)
        model = WindowedPose(PriorCodec(prior), layout, times, pose[None], lefts=[False], device=torch.device("cpu"))
        with torch.no_grad():
            return times, model()[0][0].numpy()

    (t25, p25), (t30, p30) = decoded_at(25.0), decoded_at(30.0)
    common = np.arange(0, 3.0 + 1e-9, 0.2)
    at25 = p25[np.searchsorted(t25, common - 1e-9)]
    at30 = p30[np.searchsorted(t30, common - 1e-9)]
    assert np.abs(at25 - at30).mean() < 0.05


def test_progress_every_iteration_and_cancel_changes_nothing(sample, prior, models) -> None:
    init, camera = initialise(sample, models)
    snapshot = {name: np.copy(getattr(init, name)) for name in ("global_orient", "hand_pose", "transl", "betas")}
    events: list[ProgressEvent] = []
    token = CancelToken()

    def on_progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.stage == "fit stage 2" and event.done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        fit_hands({"right": init}, models, camera, quick("wild", "hmp", 5, 10), prior, progress=on_progress,
                  cancel=token)
    assert [e.done for e in events] == [1, 2, 3, 4, 5, 1, 2, 3]
    assert {"2d", "transl", "loss"} <= set(events[0].values) and "prior" in events[-1].values
    assert all(np.array_equal(getattr(init, name), value) for name, value in snapshot.items())


def test_fit_is_deterministic_for_a_seed(sample, prior, models) -> None:
    init, camera = initialise(sample, models)
    runs = [fit_hands({"right": init}, models, camera, quick("lab", "hmp", 10, 10), prior).hands["right"]
            for _ in range(2)]
    assert all(np.array_equal(getattr(runs[0], name), getattr(runs[1], name))
               for name in ("global_orient", "hand_pose", "betas", "transl"))


def test_non_finite_loss_restores_the_last_good_state(sample, prior, models, monkeypatch) -> None:
    init, camera = initialise(sample, models)
    calls = {"count": 0}
    original = problem_module.HandProblem.terms

    def sometimes_nan(self, pose, names=None):
        calls["count"] += 1
        terms = original(self, pose, names)
        if calls["count"] in (4, 5, 12):
            terms["2d"] = terms["2d"] * float("nan")
        return terms

    monkeypatch.setattr(problem_module.HandProblem, "terms", sometimes_nan)
    result = fit_hands({"right": init}, models, camera, quick("wild", "hmp", 10, 10), prior)
    assert sum(report.recoveries for report in result.stages) == 3
    assert all(np.isfinite(getattr(result.hands["right"], name)).all() for name in ("joints", "transl", "hand_pose"))


@pytest.mark.parametrize("method", ["no-prior", "gmm", "pca"])
def test_baselines_run_in_the_same_code_path(sample, prior, models, method: str) -> None:
    init, camera = initialise(sample, models)
    hand = fit_hands({"right": init}, models, camera, quick("wild", method, 20, 20), prior).hands["right"]
    assert np.isfinite(hand.joints).all()
    assert fit_figures(hand.joints, init, camera)["reprojection_median_px"] < 20


def test_stage_3_refines_finger_poses_around_the_decoded_motion(sample, prior, models) -> None:
    init, camera = initialise(sample, models)
    two = fit_hands({"right": init}, models, camera, quick("wild", "hmp", 20, 20, 0), prior)
    three = fit_hands({"right": init}, models, camera, quick("wild", "hmp", 20, 20, 40), prior)
    assert [r.stage for r in three.stages] == [1, 2, 3] and "residual" in three.stages[2].losses
    error = lambda result: fit_figures(result.hands["right"].joints, init, camera)["reprojection_median_px"]  # noqa
    assert error(three) < error(two)
