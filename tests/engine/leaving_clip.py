"""A test clip made from the bundled sample: a crop window slides across it so the hand leaves and comes back.

The 1280x720 sample shows one right hand around x 600-910, y 110-410. A 480x360 window (written at 320x240)
holds it (60 px or more from every edge), then slides left so the hand leaves through the right edge, stays away
for about 1.5 s, and slides back so the hand comes in through the same edge. A few frames early on are blanked
(a short occlusion with the hand in the middle of the picture). Written with PyAV in a second or two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

FPS = 30
SIZE = (320, 240)
WINDOW = (480, 360)
TOP = 80
IN_VIEW, OUT_OF_VIEW = 520, 60  # window's left edge in the sample with the hand in view / out of view
SLIDE = 20  # frames the window takes to slide out or back
BLANKED = range(15, 20)
OUT = range(45, 90)  # the window rests with the hand out of view on these frames (1.5 s)
NUM_FRAMES = 130


@dataclass(frozen=True)
class LeavingClip:
    """The clip's path and which frames are blanked (short occlusion) and fully without the hand."""

    path: Path
    blanked: range = BLANKED
    out: range = OUT
    num_frames: int = NUM_FRAMES
    fps: int = FPS


def window_left(frame: int, out_left: float = OUT_OF_VIEW) -> float:
    """The crop window's left edge in sample pixels at a frame: in view, sliding out, out, sliding back, in view."""
    keys = [0, OUT.start - SLIDE, OUT.start, OUT.stop, OUT.stop + SLIDE, NUM_FRAMES]
    values = [IN_VIEW, IN_VIEW, out_left, out_left, IN_VIEW, IN_VIEW]
    return float(np.interp(frame, keys, values))


def make_leaving_clip(sample: Path, target: Path, out_left: float = OUT_OF_VIEW) -> LeavingClip:
    """Write the clip (H.264 .mp4) from the first NUM_FRAMES frames of the sample; ``out_left`` is the window's
    left edge while it rests (the default leaves the hand wholly out; 270 leaves it half out)."""
    with av.open(str(sample)) as source, av.open(str(target), "w") as output:
        stream = output.add_stream("libx264", rate=FPS, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        for index, frame in enumerate(source.decode(video=0)):
            if index == NUM_FRAMES:
                break
            image = frame.to_ndarray(format="rgb24")
            left = int(round(window_left(index, out_left)))
            crop = np.ascontiguousarray(image[TOP:TOP + WINDOW[1], left:left + WINDOW[0]])
            if index in BLANKED:
                crop[:] = 0
            small = av.VideoFrame.from_ndarray(crop, format="rgb24").reformat(*SIZE, format="yuv420p")
            output.mux(stream.encode(small))
        output.mux(stream.encode())
    return LeavingClip(target)
