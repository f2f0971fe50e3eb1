"""Does weaker translation smoothness help when the camera turns? `python tools/measure_moving_camera.py`.

The crop clip of the tests whose window slides across the sample and rests with the hand half out of the picture
is a camera that pans: the hand sweeps across the image while the window moves. It is fitted with the default
preset and with its translation-smoothness weights scaled down, and the median reprojection error (px) and joint
acceleration (mm/frame^2) are printed on the panning frames and on the still ones (BENCHMARKS.md).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test clip's maker

from hmp_engine.detection import detect_video  # noqa: E402
from hmp_engine.fitting import default_prior_path, fit_project, preset  # noqa: E402
from hmp_engine.fitting.metrics import frame_accelerations, frame_reprojection_errors  # noqa: E402
from hmp_engine.hand_model import load_hand_model  # noqa: E402
from hmp_engine.prior.checkpoint import load_prior  # noqa: E402
from hmp_engine.session import Project, VideoRef  # noqa: E402
from tests.engine.leaving_clip import NUM_FRAMES, OUT, SLIDE, make_leaving_clip  # noqa: E402

HALF_OUT_LEFT = 270
SCALES = (1.0, 0.1, 0.01)


def main() -> None:
    """Fit the panning clip once per translation-smoothness scale and print the figures."""
    sample = REPO / "resources" / "samples" / "right_hand_gestures_720p30.mp4"
    clip = make_leaving_clip(sample, Path(tempfile.mkdtemp()) / "panning.mp4", HALF_OUT_LEFT)
    project = Project(VideoRef.from_file(clip.path), detect_video(clip.path))
    models, prior = {"right": load_hand_model("open", "right")}, load_prior(default_prior_path(), "cpu")
    panning = np.zeros(NUM_FRAMES, dtype=bool)
    panning[OUT.start - SLIDE:OUT.start] = panning[OUT.stop:OUT.stop + SLIDE] = True
    still = np.zeros(NUM_FRAMES, dtype=bool)
    still[20:OUT.start - SLIDE] = still[OUT.stop + SLIDE:] = True
    for scale in SCALES:
        settings = preset().with_iterations(200, 100, 100)
        for stage in settings.stages:
            if "transl_smooth" in stage.weights:
                stage.weights["transl_smooth"] *= scale
        start = time.perf_counter()
        fit = fit_project(project, models, settings, prior, device="cpu")
        hand, init = fit.result.hands["right"], fit.inits["right"]
        errors = frame_reprojection_errors(hand.joints, fit.camera, init.keypoints, init.confidence)
        acceleration = frame_accelerations(hand.joints)
        print(f"transl_smooth x{scale:g}: reprojection median px panning {np.nanmedian(errors[panning]):.2f}, "
              f"still {np.nanmedian(errors[still]):.2f}; acceleration median mm/frame^2 panning "
              f"{np.nanmedian(acceleration[panning]):.2f}, still {np.nanmedian(acceleration[still]):.2f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
