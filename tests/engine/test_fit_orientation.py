"""The fit keeps the wrist's rotation and what the detector saw of the fingers: the default preset has an orientation
data term in every stage and a finger-pose data term wherever the fingers move, stage 1 holds the fingers at the
initialisation's per-frame poses (not the prior's reconstruction of them), and stage 3 corrects a joint more freely
the better the keypoints it moves are seen."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from hmp_engine.bench.ground_truth import synthetic_truth
from hmp_engine.bench.observations import OCCLUSION_LEVELS, simulate
from hmp_engine.fitting import fit_hands, preset
from hmp_engine.fitting.pose_models import RESIDUAL_FLOOR, ResidualPose
from hmp_engine.fitting.problem import HandProblem
from hmp_engine.hand_model import load_hand_model
from hmp_engine.initialisation import initialise_hand
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.prior.synthetic import HELD_OUT_SEEDS
from tests.paths import REPO_ROOT


def test_default_preset_has_an_orientation_data_term_in_every_stage() -> None:
    for method in ("hmp", "no-prior", "gmm", "pca"):
        assert all(stage.weight("orient") > 0 for stage in preset(method=method).stages)


def test_default_preset_has_a_finger_pose_data_term_where_the_fingers_move() -> None:
    for method in ("hmp", "no-prior", "gmm", "pca"):
        assert preset(method=method).stages[1].weight("pose") > 0
    assert preset().stages[2].weight("pose") > 0


def _observed_hand():
    truth = synthetic_truth(HELD_OUT_SEEDS[300], seconds=2.0)
    model = load_hand_model("open", "right")
    seen = simulate(truth.joints(model), truth.fps, truth.camera, OCCLUSION_LEVELS["normal"],
                    np.random.default_rng(0))
    init = initialise_hand(model, seen.keypoints, seen.world, seen.detected, truth.times, truth.camera, model)
    return truth, model, init


def test_finger_pose_data_term_is_the_mean_squared_joint_angle_on_observed_unedited_frames() -> None:
    truth, model, init = _observed_hand()
    observed, edited = init.pose_observed.copy(), np.zeros(init.num_frames, dtype=bool)
    observed[:10], edited[30] = False, True
    problem = HandProblem([replace(init, pose_observed=observed, pose_edited=edited)], [model], truth.camera,
                          nn.Identity(), torch.device("cpu"))
    pose = problem.initial_pose.clone()
    assert float(problem.terms(pose)["pose"][0]) == pytest.approx(0.0, abs=1e-6)
    for frame in (0, 30, 20):  # unobserved, edited, then kept: the joint turns 0.3 rad further about its own axis
        rotation = pose[0, frame, :3]
        pose[0, frame, :3] = rotation * (1.0 + 0.3 / rotation.norm())
    expected = 0.3**2 / (15 * (observed & ~edited).sum())
    assert float(problem.terms(pose)["pose"][0]) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("method", ["hmp", "pca"])
def test_stage_one_holds_the_initial_finger_poses(method: str) -> None:
    truth, model, init = _observed_hand()
    stages = {}
    settings = preset(method=method).with_iterations(3, 3, 0)
    fit_hands({"right": init}, {"right": model}, truth.camera, settings,
              load_prior(REPO_ROOT / "resources" / "priors" / "default.pt"),
              on_stage=lambda index, hands: stages.__setitem__(index, hands["right"]))
    np.testing.assert_allclose(stages[1].hand_pose, init.hand_pose, atol=1e-5)
    assert np.abs(stages[2].hand_pose - init.hand_pose).max() > 1e-3  # stage 2 then moves them


def test_joint_visibility_is_the_mean_confidence_of_the_keypoints_a_joint_moves() -> None:
    truth, model, init = _observed_hand()
    confidence = np.ones_like(init.confidence)
    confidence[5, 17] = 0.0  # the index fingertip, unseen on frame 5
    problem = HandProblem([replace(init, confidence=confidence)], [model], truth.camera, nn.Identity(),
                          torch.device("cpu"))
    seen = problem.joint_visibility()[0].numpy()
    np.testing.assert_allclose(seen[5, :3], [2 / 3, 1 / 2, 0.0])  # index MCP, PIP, DIP: tip among 3, 2, 1 keypoints
    np.testing.assert_allclose(seen[5, 3:], 1.0)
    np.testing.assert_allclose(np.delete(seen, 5, axis=0), 1.0)


def test_stage_three_corrections_cost_less_where_the_keypoints_are_seen() -> None:
    class Decoded(nn.Module):
        def forward(self):
            return torch.zeros(1, 4, 45), {}

    seen = torch.zeros(1, 4, 15)
    seen[0, :, 0] = 1.0  # the index MCP is seen, every other joint hidden
    residual = ResidualPose(Decoded(), seen, torch.full((1, 3), 1 / 30))
    with torch.no_grad():
        residual.delta[0, :, 0] = 0.2  # the same correction on the seen joint, then on a hidden one
        on_seen = float(residual()[1]["residual"][0])
        residual.delta.zero_()
        residual.delta[0, :, 3] = 0.2
        on_hidden = float(residual()[1]["residual"][0])
    assert on_seen == pytest.approx(RESIDUAL_FLOOR * on_hidden)
    assert on_hidden == pytest.approx(0.2**2 / 45)
