"""The overlay video: a range of a project's frames with its overlay drawn, encoded as H.264 mp4 at the video's rate.

The file is encoded into a temp file beside the target and renamed over it only when every frame is written
(`hmp_engine.atomic`), so a failure or a cancel leaves no partial video and any previous file untouched. Frames
are stamped at the source's average frame rate (a variable-rate source plays at its mean rate). H.264 in 4:2:0
needs even sizes: an odd last column or row is left out.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from hmp_engine.atomic import atomic_path
from hmp_engine.frame_span import FrameSpanError, frame_span
from hmp_engine.hand_model import HandModel
from hmp_engine.progress import CancelToken, ProgressCallback, ProgressEvent
from hmp_engine.render.context import RenderError
from hmp_engine.render.fit_inputs import overlay_renderer
from hmp_engine.render.overlay import OverlayOptions, OverlayRenderer
from hmp_engine.session import Project
from hmp_engine.video import VideoReader, open_video

ENCODER_OPTIONS = {"crf": "20", "preset": "veryfast"}
"""libx264 settings: visually clean at 720p, and fast enough not to slow the overlay down."""


def frame_rate(fps: float) -> Fraction:
    """The exact rate of a float frame rate (29.97... -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


def overlay_frames(renderer: OverlayRenderer, video: VideoReader, frames: slice = slice(None)) -> range:
    """The frames to write: ``frames`` (start defaults to 0, stop to the last frame the fit covers) checked by
    the rule of `hmp_engine.frame_span` against the video's frames."""
    try:
        return frame_span(frames, video.num_frames, min(video.num_frames, renderer.num_frames))
    except FrameSpanError as error:
        raise RenderError(str(error)) from error


def write_overlay_video(project: Project, models: dict[str, HandModel], output: str | os.PathLike,
                        frames: slice = slice(None), options: OverlayOptions = OverlayOptions(),
                        progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> range:
    """Render the overlay of ``frames`` (default: all the fit covers, see `overlay_frames`) into an mp4 at
    ``output``; returns the frames written. Raises RenderError, VideoError, OSError (cannot write), Cancelled."""
    renderer = overlay_renderer(project, models, options)
    with open_video(project.video.path) as video:
        written = overlay_frames(renderer, video, frames)
        with atomic_path(output) as temp:
            _encode(renderer, video, written, temp, progress, cancel)
    return written


def _encode(renderer: OverlayRenderer, video: VideoReader, frames: range, path: Path,
            progress: ProgressCallback | None, cancel: CancelToken | None) -> None:
    """Render and encode every frame of ``frames`` into the mp4 file ``path``."""
    width, height = (size - size % 2 for size in video.size)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=frame_rate(video.fps), options=ENCODER_OPTIONS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for done, index in enumerate(frames, start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            image, _ = renderer.render(index, video.frame(index))
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]), format="rgb24")
            container.mux(stream.encode(frame))
            if progress is not None:
                progress(ProgressEvent("render", done, len(frames)))
        container.mux(stream.encode(None))
