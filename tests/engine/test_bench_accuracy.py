"""The accuracy benchmark: frame-weighted summaries, tuning's choice, the fit's stage hook, and short end-to-end
runs through the library and `hmp bench accuracy` (few iterations: they test the code paths, not the accuracy)."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from hmp_engine.bench import ground_truth
from hmp_engine.bench.accuracy import AccuracyConfig, accuracy_report, common_frames, markdown
from hmp_engine.bench.methods import FIT_GROUPS, METHODS, Estimate, Weight, fit_settings
from hmp_engine.bench.observations import OCCLUSION_LEVELS, simulate
from hmp_engine.bench.scores import frame_errors, summarise
from hmp_engine.bench.tuning import CANDIDATES, TUNED, choose
from hmp_engine.cli import main
from hmp_engine.fitting import fit_hands, preset
from hmp_engine.hand_model import load_hand_model
from hmp_engine.initialisation import initialise_hand
from hmp_engine.motion_file import HandMotion, Motion, write_motion
from hmp_engine.prior.checkpoint import load_prior
from tests.paths import REPO_ROOT

PRIOR = REPO_ROOT / "resources" / "priors" / "default.pt"
QUICK = (4, 4, 4)  # stage iterations of the end-to-end runs


# ---- summaries --------------------------------------------------------------------------------------------


def test_summaries_weigh_frames_and_select_occluded_ones() -> None:
    truth = np.repeat(np.random.default_rng(0).normal(0.0, 0.05, size=(1, 21, 3)), 10, axis=0)
    shifted = truth.copy()
    shifted[:, 1:] += np.array([0.0, 0.0, 0.021])  # RA-MPJPE 20 mm everywhere (20 of 21 joints moved 21 mm)
    shifted[4:, 1:] += np.array([0.0, 0.0, 0.021])  # 40 mm from frame 4 on
    occluded = np.arange(10) >= 4
    errors = frame_errors(Estimate(shifted, np.ones(10, bool)), truth, np.ones(10, bool), occluded, 30.0)
    every, hidden = summarise([errors]), summarise([errors], occluded_only=True)
    assert every["frames"] == 10 and every["ra_mpjpe_mm"] == pytest.approx(32.0)
    assert hidden["frames"] == 6 and hidden["ra_mpjpe_mm"] == pytest.approx(40.0)
    assert every["ra_acc_mm_per_s2"] == pytest.approx(every["ra_acc_mm_per_frame2"] * 900)


def test_every_method_is_scored_on_the_frames_all_of_them_estimated() -> None:
    truth = np.random.default_rng(1).normal(0.0, 0.05, size=(10, 21, 3))
    off = truth + np.linspace(0.0, 0.01, 10)[:, None, None] * np.array([0.0, 1.0, 0.0])  # later frames worse
    spans = {"init+slerp": np.ones(10, bool), "hmp": np.arange(10) >= 3, "per-frame": np.arange(10) % 2 == 0}
    errors = {method: [frame_errors(Estimate(off, span), truth, np.ones(10, bool), np.zeros(10, bool), 30.0)]
              for method, span in spans.items()}
    shared = common_frames(errors)
    assert summarise(errors["init+slerp"])["frames"] == 10  # alone, init+slerp would also count frames 0-2
    assert [summarise(shared[method])["frames"] for method in ("init+slerp", "hmp", "per-frame")] == [7, 7, 3]
    assert summarise(shared["init+slerp"])["ra_mpjpe_mm"] == summarise(shared["hmp"])["ra_mpjpe_mm"]
    assert shared["hmp"][0].centre.sum() == 5  # acceleration triples within frames 3-9


# ---- tuning and the fit's stage hook ----------------------------------------------------------------------


def test_tuning_keeps_the_candidate_with_the_lowest_error_plus_acceleration() -> None:
    scores = {"hmp": {0.01: {"pa_mpjpe_mm": 5.0, "ra_acc_mm_per_frame2": 2.0},
                      0.1: {"pa_mpjpe_mm": 5.5, "ra_acc_mm_per_frame2": 0.5},
                      1.0: {"pa_mpjpe_mm": 7.0, "ra_acc_mm_per_frame2": 0.4}}}
    assert choose(scores) == {"hmp": Weight(2, "prior", 0.1)}
    assert set(TUNED) == set(CANDIDATES) == set(FIT_GROUPS)
    assert all(TUNED[group] in CANDIDATES[group] for group in TUNED)


def test_fit_settings_skip_stages_nobody_scores() -> None:
    settings = fit_settings("hmp", Weight(2, "prior", 1.0), ("hmp-stage2",))
    assert [s.iterations for s in settings.stages] == [preset().stages[0].iterations, 200, 0]
    assert settings.stages[1].weights["prior"] == 1.0
    assert fit_settings("no-prior", TUNED["no-prior"], METHODS, (3, 4, 5)).stages[2].iterations == 0


def test_stage_hook_sees_what_a_fit_stopped_there_returns() -> None:
    right_model = load_hand_model("open", "right")
    short = ground_truth.synthetic_truth(ground_truth.SPLIT_SEEDS["test"][1], seconds=2.0)
    joints = short.joints(right_model)
    seen = simulate(joints, short.fps, short.camera, OCCLUSION_LEVELS["normal"], np.random.default_rng(0))
    init = initialise_hand(right_model, seen.keypoints, seen.world, seen.detected, short.times, short.camera)
    prior = load_prior(PRIOR, "cpu")
    stages = {}
    settings = preset().with_iterations(*QUICK)
    full = fit_hands({"right": init}, {"right": right_model}, short.camera, settings, prior, "cpu",
                     on_stage=lambda index, hands: stages.__setitem__(index, hands["right"]))
    stopped = fit_hands({"right": init}, {"right": right_model}, short.camera, settings.with_iterations(4, 4, 0),
                        prior, "cpu")
    assert sorted(stages) == [1, 2, 3]
    assert np.array_equal(stages[2].joints, stopped.hands["right"].joints)
    assert np.array_equal(stages[3].joints, full.hands["right"].joints)


# ---- end to end -------------------------------------------------------------------------------------------


def test_report_scores_the_methods_deterministically() -> None:
    # GMM and PCA are left out: fitting their priors to 256 decoded windows takes ~40 s (test_fitting fits them)
    methods = tuple(method for method in METHODS if method not in ("gmm", "pca"))
    recipes = [functools.partial(ground_truth.synthetic_truth, ground_truth.SPLIT_SEEDS["test"][2], 3.0)]
    config = AccuracyConfig(PRIOR, occlusion="heavy", methods=methods, seed=7, workers=1, iterations=QUICK)
    report = accuracy_report(recipes, config)
    again = accuracy_report(recipes, config)
    assert markdown(report) == markdown(again) and report["methods"] == again["methods"]
    assert tuple(report["methods"]) == methods and set(report["weights"]) == {"no-prior", "hmp"}
    per_frame, slerp = report["methods"]["per-frame"]["all"], report["methods"]["init+slerp"]["all"]
    assert per_frame["frames"] < slerp["frames"] == 90  # the per-frame estimate has nothing in whole-hand gaps
    assert all(np.isfinite(entry["all"]["pa_mpjpe_mm"]) for entry in report["methods"].values())
    assert set(report["margins"]) == {"pa_mpjpe_gain_vs_slerp_percent", "ra_acc_factor_vs_slerp",
                                      "ra_acc_factor_vs_per_frame"}
    assert report["sequences"][0]["occluded_fraction"] > 0.2 and "| hmp-stage2 |" in markdown(report)


def test_hmp_bench_accuracy_on_a_motion_file(tmp_path, capsys) -> None:
    short = ground_truth.synthetic_truth(ground_truth.SPLIT_SEEDS["test"][3], seconds=2.0)
    hand = HandMotion(short.global_orient, short.hand_pose, short.betas, short.transl, np.ones(60, bool))
    motion = tmp_path / "take.npz"
    write_motion(motion, Motion(fps=30.0, hand_model="open-hand", right=hand, camera_K=short.camera.K,
                                image_size=short.camera.image_size))
    report_path = tmp_path / "report.json"
    assert main(["bench", "accuracy", "--motion", str(motion), "--methods", "per-frame", "init+slerp", "hmp",
                 "--iterations", "2", "2", "2", "--workers", "1", "--occlusion", "none", "-o", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["sequences"][0]["name"] == f"{motion.parent.name}/take.npz right" and set(report["methods"]) == {
        "per-frame", "init+slerp", "hmp"}
    assert report["weights"] == {"hmp": {"stage": 2, "name": "prior", "value": TUNED["hmp"].value}}
    assert "| init+slerp | 60 |" in capsys.readouterr().out
    assert main(["bench", "accuracy", "--motion", str(tmp_path / "missing.npz"), "-o", str(report_path)]) == 1


def test_unknown_methods_and_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        AccuracyConfig(PRIOR, methods=("hmp", "magic"))
    with pytest.raises(ValueError, match="occlusion"):
        AccuracyConfig(PRIOR, occlusion="total")
