"""The one rule for a ``--frames A:B`` range, shared by `render` and `export`.

``A:B`` selects frames A to B-1, counted from 0; A defaults to 0 and B to the last frame there is. Both must be
whole numbers >= 0 with A < B <= the number of frames: a range reaching past the end is an error, never clamped,
and negative numbers (Python's count from the end) are refused.
"""

from __future__ import annotations


class FrameSpanError(ValueError):
    """A frame range that breaks the rule of this module."""


def frame_span(frames: slice, count: int, default_stop: int | None = None) -> range:
    """The frames ``frames`` selects of ``count`` (``default_stop``: B when left out, default ``count``)."""
    start = 0 if frames.start is None else frames.start
    stop = (count if default_stop is None else default_stop) if frames.stop is None else frames.stop
    if frames.step not in (None, 1):
        raise FrameSpanError(f"frames {start}:{stop} must be a plain range A:B")
    if start < 0 or stop < 0:
        raise FrameSpanError(f"frames {start}:{stop}: frames count from 0, negative numbers are not accepted")
    if not start < stop <= count:
        raise FrameSpanError(f"frames {start}:{stop} are not a non-empty range of the {count} frames 0:{count}")
    return range(start, stop)
