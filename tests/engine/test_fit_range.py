"""Refitting a frame range of a project: only those frames are initialised and fitted, and splicing the range's
fit into the stored one changes those frames alone; per-frame comparison curves of a fit."""

from __future__ import annotations

import numpy as np
import pytest

from hmp_engine.detection import detect_video
from hmp_engine.fitting import default_prior_path, fit_project, preset, splice_fits
from hmp_engine.fitting.metrics import frame_accelerations, frame_reprojection_errors
from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.session import Project, ProjectError, VideoRef

FRAMES = 40


@pytest.fixture(scope="module")
def project(reach_video) -> Project:
    return Project(VideoRef.from_file(reach_video), detect_video(reach_video, max_frames=FRAMES))


def test_a_range_refit_replaces_the_stored_fit_on_its_frames_only(project: Project) -> None:
    models = {"right": load_hand_model("open", "right")}
    settings = preset().with_iterations(5, 5, 0)
    prior = load_prior(default_prior_path(), "cpu")
    whole = fit_project(project, models, settings, prior, device="cpu")
    assert len(whole.fits["right"].arrays["valid"]) == FRAMES
    part = fit_project(project, models, preset().with_iterations(20, 20, 0), prior, device="cpu",
                       frames=slice(10, 30))
    assert part.inits["right"].num_frames == 20 and len(part.fits["right"].arrays["transl"]) == 20

    spliced = splice_fits(whole.fits, part.fits, 10)["right"]
    stored = whole.fits["right"]
    for name in ("global_orient", "hand_pose", "transl"):
        np.testing.assert_array_equal(spliced.arrays[name][:10], stored.arrays[name][:10])
        np.testing.assert_array_equal(spliced.arrays[name][30:], stored.arrays[name][30:])
        np.testing.assert_array_equal(spliced.arrays[name][10:30], part.fits["right"].arrays[name])
    np.testing.assert_array_equal(spliced.arrays["betas"], stored.arrays["betas"])
    assert spliced.metadata["refits"] == [[10, 30]]
    assert not np.shares_memory(spliced.arrays["transl"], stored.arrays["transl"])
    with pytest.raises(ProjectError, match="fit the whole video"):
        splice_fits({}, part.fits, 10)
    with pytest.raises(ProjectError, match="outside"):
        splice_fits(whole.fits, part.fits, 30)

    hand, init = part.result.hands["right"], part.inits["right"]
    errors = frame_reprojection_errors(hand.joints, part.camera, init.keypoints, init.confidence)
    assert errors.shape == (20,) and np.nanmedian(errors) < 40
    acceleration = frame_accelerations(hand.joints)
    assert np.isnan(acceleration[[0, -1]]).all() and (acceleration[1:-1] >= 0).all()
    smooth = np.tile(np.linspace(0, 1, 20)[:, None, None], (1, 21, 3))
    assert np.nanmax(frame_accelerations(smooth)) < 1e-9
