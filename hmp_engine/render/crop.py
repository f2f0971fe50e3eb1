"""The image region a frame's hands cover: the viewport the renderer draws instead of the whole frame.

The region is the projected vertices' bounding box grown by a margin, clipped to the image, with its size rounded
up to a multiple of ``step`` pixels so that the offscreen framebuffer is re-allocated only when the hands' size
changes by a step, not every frame (the grown region is moved back inside the image where it fits). Its origin
is a whole pixel, so a crop samples the exact pixel centres of the full frame and renders the same pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MARGIN = 4
STEP = 64


@dataclass(frozen=True)
class Viewport:
    """A rectangle of the image in whole pixels: origin (x, y) and size (width, height); it may reach past the
    right and bottom edges of the image when its size was rounded up."""

    x: int
    y: int
    width: int
    height: int

    def clip(self, image_size: tuple[int, int]) -> tuple[slice, slice]:
        """Row and column slices of the image inside the viewport (index the render with `local`)."""
        return (slice(self.y, min(self.y + self.height, image_size[1])),
                slice(self.x, min(self.x + self.width, image_size[0])))

    def local(self, image_size: tuple[int, int]) -> tuple[slice, slice]:
        """Row and column slices of the render that fall inside the image."""
        rows, cols = self.clip(image_size)
        return slice(0, rows.stop - rows.start), slice(0, cols.stop - cols.start)


def full_viewport(image_size: tuple[int, int]) -> Viewport:
    """The whole image."""
    return Viewport(0, 0, image_size[0], image_size[1])


def hands_viewport(boxes: list[np.ndarray], image_size: tuple[int, int], margin: int = MARGIN,
                   step: int = STEP) -> Viewport | None:
    """The viewport covering boxes (x0, y0, x1, y1) in pixels, or None when none of them is inside the image."""
    width, height = image_size
    low = np.min([box[:2] for box in boxes], axis=0) - margin
    high = np.max([box[2:] for box in boxes], axis=0) + margin
    x0, y0 = max(0, math.floor(low[0])), max(0, math.floor(low[1]))
    x1, y1 = min(width, math.ceil(high[0]) + 1), min(height, math.ceil(high[1]) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    size = step * math.ceil((x1 - x0) / step), step * math.ceil((y1 - y0) / step)
    return Viewport(max(0, min(x0, width - size[0])), max(0, min(y0, height - size[1])), *size)
