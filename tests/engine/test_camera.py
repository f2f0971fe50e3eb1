"""The camera: default intrinsics and their field of view, user intrinsics, projection in the OpenCV frame."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hmp_engine.camera import DEFAULT_FOCAL_FACTOR, Camera


def test_default_camera_of_a_720p_video() -> None:
    camera = Camera.default((1280, 720))
    assert camera.focal == (960.0, 960.0) == (DEFAULT_FOCAL_FACTOR * 1280,) * 2
    assert camera.principal_point == (640.0, 360.0)
    horizontal, vertical = camera.field_of_view
    assert horizontal == pytest.approx(67.38, abs=0.01) and vertical == pytest.approx(41.11, abs=0.01)


def test_default_camera_uses_the_long_side_in_portrait() -> None:
    assert Camera.default((720, 1280)).focal == (960.0, 960.0)
    assert Camera.default((720, 1280)).field_of_view[1] == pytest.approx(67.38, abs=0.01)


def test_user_intrinsics_are_kept_and_checked() -> None:
    K = np.array([[615.0, 0, 320], [0, 612.0, 240], [0, 0, 1]])
    assert np.array_equal(Camera.from_user(K, (640, 480)).K, K)
    assert Camera.from_user(None, (640, 480)) == Camera.default((640, 480))
    with pytest.raises(ValueError):
        Camera(np.eye(2), (640, 480))
    with pytest.raises(ValueError):
        Camera(np.diag([-1.0, 1.0, 1.0]), (640, 480))


def test_projection_follows_the_opencv_frame() -> None:
    camera = Camera.from_focal(1000.0, (1920, 1080))
    points = torch.tensor([[0.0, 0.0, 2.0], [0.2, -0.1, 1.0], [-0.5, 0.5, 0.5]], dtype=torch.float64)
    expected = np.array([[960, 540], [1160, 440], [-40, 1540]], dtype=np.float64)
    assert np.allclose(camera.project(points).numpy(), expected)
    assert np.allclose(camera.project_numpy(points.numpy()), expected)


def test_projection_never_divides_by_zero_and_has_finite_gradients() -> None:
    points = torch.tensor([[0.1, 0.1, 0.0], [0.1, 0.1, -1.0]], requires_grad=True)
    projected = Camera.default((640, 480)).project(points)
    projected.sum().backward()
    assert torch.isfinite(projected).all() and torch.isfinite(points.grad).all()
