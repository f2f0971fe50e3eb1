"""The pinhole camera of a video: intrinsics from the user or a documented default, projection in the OpenCV frame.

The camera sits at the origin looking down +z (OpenCV: x right, y down, z forward); hands are placed in this frame
by their translation, so the extrinsics are the identity and only the intrinsics K matter.

Default intrinsics (no calibration given): square pixels, principal point at the image centre and a focal length
of ``DEFAULT_FOCAL_FACTOR * max(width, height)`` pixels. The factor 0.75 gives a field of view of 67.4 degrees
across the long side of the image (2 * atan(0.5 / 0.75)), about that of a phone's main camera (26 mm
equivalent: 69 degrees) or a typical webcam (65-70 degrees); for a 16:9 frame it is 41.1 degrees across the short
side. A wrong focal length mostly rescales the hand's depth, which the fit absorbs; give K when it is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

DEFAULT_FOCAL_FACTOR = 0.75
"""Default focal length in units of the longer image side (67.4 degrees of field of view across it)."""

MIN_DEPTH = 0.01
"""Depth in metres below which points are clamped before dividing, so projection never yields inf or NaN."""


@dataclass(frozen=True, eq=False)
class Camera:
    """Intrinsics ``K`` (3, 3) in pixels of an image of ``image_size`` = (width, height)."""

    K: np.ndarray
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        K = np.asarray(self.K, dtype=np.float64)
        if K.shape != (3, 3) or not np.all(np.isfinite(K)) or K[0, 0] <= 0 or K[1, 1] <= 0:
            raise ValueError(f"K must be a finite 3x3 matrix with positive focal lengths, got {self.K!r}")
        object.__setattr__(self, "K", K)
        object.__setattr__(self, "image_size", (int(self.image_size[0]), int(self.image_size[1])))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Camera) and self.image_size == other.image_size
                and bool(np.array_equal(self.K, other.K)))

    def __hash__(self) -> int:
        return hash((self.image_size, self.K.tobytes()))

    @classmethod
    def from_focal(cls, focal: float, image_size: tuple[int, int]) -> Camera:
        """Square pixels of focal length ``focal`` px, principal point at the image centre."""
        width, height = image_size
        return cls(np.array([[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]]), image_size)

    @classmethod
    def default(cls, image_size: tuple[int, int]) -> Camera:
        """The documented default camera of an image size (see the module docstring)."""
        return cls.from_focal(DEFAULT_FOCAL_FACTOR * max(image_size), image_size)

    @classmethod
    def from_user(cls, K: np.ndarray | None, image_size: tuple[int, int]) -> Camera:
        """The user's intrinsics when given, else the default for the image size."""
        return cls.default(image_size) if K is None else cls(np.asarray(K), image_size)

    @property
    def focal(self) -> tuple[float, float]:
        """(fx, fy) in pixels."""
        return float(self.K[0, 0]), float(self.K[1, 1])

    @property
    def principal_point(self) -> tuple[float, float]:
        """(cx, cy) in pixels."""
        return float(self.K[0, 2]), float(self.K[1, 2])

    @property
    def field_of_view(self) -> tuple[float, float]:
        """Horizontal and vertical field of view in degrees (for a centred principal point)."""
        width, height = self.image_size
        fx, fy = self.focal
        return math.degrees(2 * math.atan(width / (2 * fx))), math.degrees(2 * math.atan(height / (2 * fy)))

    @property
    def diagonal(self) -> float:
        """Image diagonal in pixels."""
        return math.hypot(*self.image_size)

    def project(self, points: torch.Tensor) -> torch.Tensor:
        """Pixel coordinates (..., 2) of camera-frame points (..., 3); depths below MIN_DEPTH are clamped."""
        K = points.new_tensor(self.K)
        depth = points[..., 2:].clamp(min=MIN_DEPTH)
        return (points[..., :2] / depth) @ K[:2, :2].T + K[:2, 2]

    def project_numpy(self, points: np.ndarray) -> np.ndarray:
        """`project` for numpy arrays."""
        return self.project(torch.as_tensor(np.asarray(points, dtype=np.float64))).numpy()
