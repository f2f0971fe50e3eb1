"""The overlay renderer with real EGL rendering of a fitted 40-frame clip of the sample: the mesh lies on the
detected hand, a crop renders the pixels of the full frame, both hands render in their colours, toggles, the
overlay video and `hmp render`, and clear failures that leave no file behind."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from hmp_engine.cli import main
from hmp_engine.detection import detect_video
from hmp_engine.fitting import fit_project, preset
from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.progress import Cancelled, CancelToken, ProgressEvent
from hmp_engine.render import (
    STYLES,
    HandSequence,
    OverlayOptions,
    OverlayRenderer,
    RenderError,
    fit_camera,
    fit_models,
    overlay_renderer,
    select_platform,
    write_overlay_video,
)
from hmp_engine.rotations import mirror_axis_angle
from hmp_engine.session import HandFit, Project, VideoRef, load_project
from hmp_engine.video import open_video
from tests.paths import REPO_ROOT, SAMPLE_VIDEO

FRAMES = 40
CHECKED = (0, 13, 26, 39)
pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")  # PyOpenGL 3.1.0 reading pixels


@pytest.fixture(scope="module")
def project_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's first 40 frames detected and fitted (short stages), saved as a project file."""
    result = detect_video(SAMPLE_VIDEO, max_frames=FRAMES)
    project = Project(VideoRef.from_file(SAMPLE_VIDEO), result)
    models = {"right": load_hand_model("open", "right")}
    prior = load_prior(REPO_ROOT / "resources" / "priors" / "default.pt", "cpu")
    project.fits.update(fit_project(project, models, preset().with_iterations(30, 30, 0), prior, device="cpu").fits)
    return project.save(tmp_path_factory.mktemp("render") / "sample40.hmp")


@pytest.fixture(scope="module")
def project(project_path: Path) -> Project:
    return load_project(project_path)


@pytest.fixture(scope="module")
def frames(project: Project) -> dict[int, np.ndarray]:
    with open_video(project.video.path) as video:
        return {index: video.frame(index) for index in CHECKED}


@pytest.fixture(scope="module")
def renderer(project: Project) -> OverlayRenderer:
    return overlay_renderer(project, fit_models(project, "open"))


def _hull(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean image of the convex hull of (N, 2) pixel points."""
    hull = np.zeros(shape, dtype=np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    return hull.astype(bool)


def test_mask_lies_on_the_detected_hand(project: Project, frames: dict[int, np.ndarray],
                                        renderer: OverlayRenderer) -> None:
    keypoints = project.effective_keypoints(0)
    for index, image in frames.items():
        output, mask = renderer.render(index, image)
        confident = keypoints[index][keypoints[index, :, 2] >= 0.5, :2]
        assert len(confident) >= 15
        near_mask = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        inside = near_mask[np.round(confident[:, 1]).astype(int), np.round(confident[:, 0]).astype(int)]
        assert inside.mean() >= 0.8, f"frame {index}: only {inside.mean():.0%} of the keypoints on the mesh"
        hull = _hull(confident, mask.shape)
        assert (mask & hull).sum() >= 0.6 * hull.sum(), f"frame {index}: the mesh misses the keypoints' hull"
        near_hull = cv2.dilate(hull.astype(np.uint8), np.ones((61, 61), np.uint8)).astype(bool)
        # the mesh's wrist reaches a little past the wrist keypoint (about 4 % of its pixels on the sample)
        assert (mask & near_hull).sum() >= 0.9 * mask.sum(), f"frame {index}: mesh pixels far from the hand"
        assert np.any(output[mask] != image[mask], axis=-1).mean() > 0.95
        edge = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        assert np.array_equal(output[~edge], image[~edge]), "pixels changed away from the mesh"


def test_crop_renders_the_pixels_of_the_full_frame(project: Project, frames: dict[int, np.ndarray]) -> None:
    models = fit_models(project, "open")
    cropped, whole = overlay_renderer(project, models), overlay_renderer(project, models, OverlayOptions(crop=False))
    for index, image in frames.items():
        (crop_image, crop_mask), (full_image, full_mask) = cropped.render(index, image), whole.render(index, image)
        assert crop_mask.sum() > 5000
        assert (crop_mask ^ full_mask).sum() <= 0.001 * full_mask.sum()
        difference = np.abs(crop_image.astype(int) - full_image.astype(int)).max(axis=-1)
        assert (difference > 2).sum() <= 0.001 * full_mask.sum()
        interior = cv2.erode(full_mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        assert difference[interior].max() <= 16, "inside the silhouette the crop must shade like the full frame"
        viewport = cropped.render_meshes({"right": cropped.hands["right"].frame(index)}).viewport
        assert viewport.width * viewport.height < 0.2 * 1280 * 720, "the crop renders most of the frame"


def _mirrored(fit: HandFit) -> HandFit:
    """The left hand that is the mirror image (x -> -x in the camera frame) of a right hand's fit."""
    arrays = dict(fit.arrays, global_orient=mirror_axis_angle(fit.arrays["global_orient"]),
                  hand_pose=mirror_axis_angle(fit.arrays["hand_pose"]),
                  transl=fit.arrays["transl"] * np.array([-1.0, 1.0, 1.0]))
    return HandFit(arrays, dict(fit.metadata))


def test_both_hands_render_in_their_colours_as_mirror_images(project: Project) -> None:
    camera = fit_camera(project)
    hands = {"right": HandSequence(load_hand_model("open", "right"), project.fits["right"], camera,
                                   STYLES["right"].mesh),
             "left": HandSequence(load_hand_model("open", "left"), _mirrored(project.fits["right"]), camera,
                                  STYLES["left"].mesh)}
    grey = np.full((720, 1280, 3), 128, dtype=np.uint8)
    opaque = OverlayOptions(opacity=1.0)
    both = OverlayRenderer(hands, camera, options=opaque)
    right = OverlayRenderer({"right": hands["right"]}, camera, options=opaque)
    left = OverlayRenderer({"left": hands["left"]}, camera, options=opaque)
    for index in (0, 20):
        image, mask = both.render(index, grey)
        _, right_mask = right.render(index, grey)
        _, left_mask = left.render(index, grey)
        assert right_mask.sum() > 5000 and left_mask.sum() > 5000
        assert (mask ^ (right_mask | left_mask)).sum() <= 0.002 * mask.sum()
        mirror = right_mask[:, ::-1]  # the principal point is the image centre: x -> -x flips the columns
        assert (mirror & left_mask).sum() >= 0.9 * (mirror | left_mask).sum()
        blue, orange = image[right_mask & ~left_mask].astype(int), image[left_mask & ~right_mask].astype(int)
        assert np.mean(blue[:, 2] > blue[:, 0]) > 0.95 and np.mean(orange[:, 0] > orange[:, 2]) > 0.95
        brightness = [image[m].mean() / np.mean(STYLES[s].mesh) for s, m in (("right", right_mask),
                                                                            ("left", left_mask))]
        assert brightness[1] == pytest.approx(brightness[0], rel=0.2), "a mirrored mesh is shaded inside out"


def test_toggles_draw_only_what_is_asked(project: Project, frames: dict[int, np.ndarray],
                                         renderer: OverlayRenderer) -> None:
    image = frames[13]
    renderer.options = OverlayOptions(mesh=False)
    try:
        plain, mask = renderer.render(13, image)
        assert np.array_equal(plain, image) and not mask.any()
        keypoints = project.effective_keypoints(0)[13]
        joints = renderer.hands["right"].frame(13).joints
        for options, points in ((OverlayOptions(mesh=False, keypoints=True), keypoints[:, :2]),
                                (OverlayOptions(mesh=False, joints=True), joints)):
            renderer.options = options
            drawn, mask = renderer.render(13, image)
            changed = np.any(drawn != image, axis=-1)
            assert not mask.any() and changed.sum() > 300
            assert (changed & _hull(points, changed.shape)).sum() + 400 >= changed.sum() * 0.6
            at_points = changed[np.round(points[:, 1]).astype(int), np.round(points[:, 0]).astype(int)]
            assert at_points.mean() > 0.9
    finally:
        renderer.options = OverlayOptions()


def test_renderer_checks_frames_and_renders_on_any_thread(project: Project, frames: dict[int, np.ndarray],
                                                           renderer: OverlayRenderer) -> None:
    with pytest.raises(RenderError, match="expects"):
        renderer.render(0, frames[0][:, :640])
    _, mask = renderer.render(FRAMES + 5, frames[0])  # past the fit: no hand, no GL work
    assert not mask.any()
    here = renderer.render(13, frames[13])
    elsewhere: list[tuple[np.ndarray, np.ndarray]] = []
    worker = threading.Thread(target=lambda: elsewhere.append(renderer.render(13, frames[13])))
    worker.start()
    worker.join()
    other = overlay_renderer(project, fit_models(project, "open"))  # a second renderer beside the first
    for image, mask in (*elsewhere, other.render(13, frames[13]), renderer.render(13, frames[13])):
        assert np.array_equal(image, here[0]) and np.array_equal(mask, here[1])


def test_a_project_without_fit_is_refused_clearly(project: Project, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    unfitted = replace(project, fits={})
    with pytest.raises(RenderError, match="no fit to render"):
        overlay_renderer(unfitted, {})
    path = unfitted.save(tmp_path / "unfitted.hmp")
    assert main(["render", str(path)]) == 1
    assert "no fit to render" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["unfitted.hmp"]


def test_hmp_render_writes_the_frames_at_the_video_rate(project_path: Path, project: Project, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "overlay.mp4"
    assert main(["render", str(project_path), "-o", str(output), "--frames", "5:25", "--keypoints", "--joints"]) == 0
    assert f"wrote {output} (frames 5:25, 30 fps)" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["overlay.mp4"]
    umask = os.umask(0)
    os.umask(umask)
    assert output.stat().st_mode & 0o777 == 0o666 & ~umask
    with open_video(output) as video, open_video(project.video.path) as source:
        assert (video.num_frames, video.fps, video.size) == (20, 30.0, (1280, 720))
        renderer = overlay_renderer(project, fit_models(project, "open"), OverlayOptions(keypoints=True, joints=True))
        errors = [np.abs(video.frame(0).astype(int) - renderer.render(index, source.frame(index))[0]).mean()
                  for index in (4, 5, 6)]
        assert errors[1] < 2.0 and errors[1] < min(errors[0], errors[2])


def test_failed_writes_leave_no_partial_file(project_path: Path, project: Project, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(project_path), "-o", str(tmp_path / "missing" / "x.mp4")]) == 1
    assert "cannot write" in capsys.readouterr().err and not (tmp_path / "missing").exists()
    assert main(["render", str(project_path), "--frames", "30:700", "-o", str(tmp_path / "x.mp4")]) == 1
    assert "30:700" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["render", str(project_path), "--frames", "7"])

    previous = tmp_path / "kept.mp4"
    previous.write_bytes(b"the previous video")
    cancel = CancelToken()

    def cancel_after_three(event: ProgressEvent) -> None:
        if event.done == 3:
            cancel.cancel()

    with pytest.raises(Cancelled):
        write_overlay_video(project, fit_models(project, "open"), previous, progress=cancel_after_three,
                            cancel=cancel)
    assert previous.read_bytes() == b"the previous video"
    assert sorted(os.listdir(tmp_path)) == ["kept.mp4"]


def test_a_fit_made_with_another_hand_model_is_refused(project: Project) -> None:
    other = replace(project, fits={"right": HandFit(project.fits["right"].arrays,
                                                    dict(project.fits["right"].metadata, hand_model="MANO_RIGHT"))})
    with pytest.raises(RenderError, match="fitted with the hand model 'MANO_RIGHT'"):
        fit_models(other, "open")


def test_egl_is_chosen_when_headless(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PYOPENGL_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert select_platform() == "egl" and os.environ["PYOPENGL_PLATFORM"] == "egl"
    monkeypatch.delenv("PYOPENGL_PLATFORM")
    monkeypatch.setenv("DISPLAY", ":0")
    assert select_platform() == "display (pyglet)" and "PYOPENGL_PLATFORM" not in os.environ


def test_a_platform_that_cannot_render_says_what_to_do() -> None:
    # The context module alone (it needs only pyrender), so the fresh interpreter does not import torch and MediaPipe.
    code = ("import importlib.util, sys\n"
            "spec = importlib.util.spec_from_file_location('context', sys.argv[1])\n"
            "context = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(context)\n"
            "try:\n    context.thread_renderer()\nexcept context.RenderError as error:\n    print(error)\n")
    module = REPO_ROOT / "hmp_engine" / "render" / "context.py"
    environment = dict(os.environ, PYOPENGL_PLATFORM="osmesa")
    result = subprocess.run([sys.executable, "-c", code, str(module)], capture_output=True, text=True,
                            env=environment, timeout=120)
    assert "offscreen OpenGL context (PYOPENGL_PLATFORM=osmesa)" in result.stdout
    assert "EGL" in result.stdout and "apt-get install" in result.stdout
