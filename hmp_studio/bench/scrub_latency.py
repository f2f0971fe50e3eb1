"""Scrubbing benchmark: how long after a slider move the new frame is on screen, in the real main window.

`python -m hmp_studio.bench.scrub_latency [--video VIDEO] [-o REPORT.json]` (any Qt platform; offscreen or Xvfb on a
server). A real mouse drag is sent to the frame slider at ``--rate`` events per second: forward and backward
sweeps at drag speeds from 1 to 12 frames per event. A move's latency runs from its mouse event to the first
paint of a frame requested by that move or a later one (the loader drops requests it had no time for, which
is the point), so it is the wait a user sees. Timeline clicks to random frames, each waited for, are measured
apart: they cannot reuse the decoder's position.

A video with keyframes far apart gets a scrub proxy (low-resolution, all-intra) that shows a frame at once while
the full frame decodes. The benchmark waits until the proxy is ready (and reports how long making it took), then
measures both the first picture of a frame (proxy or full) and the full-resolution frame: after each timeline
click, and after the last move of each drag. On a video longer than the sweeps, they run in its middle.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QSlider, QStyle, QStyleOptionSlider

from hmp_studio.main_window import MainWindow

SWEEPS: tuple[tuple[int, int, int], ...] = ((0, 620, 3), (620, 0, -3), (0, 620, 12), (620, 300, -1), (300, 0, -6))
"""(from, to, frames per mouse event) of the drag sweeps over the 621-frame sample."""
SWEEP_SPAN = 621


def slider_x(slider: QSlider, value: int) -> int:
    """Horizontal pixel of the slider handle's centre at ``value``."""
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    style = slider.style()
    groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, slider)
    handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, slider)
    span = groove.width() - handle.width()
    offset = QStyle.sliderPositionFromValue(slider.minimum(), slider.maximum(), value, span)
    return groove.x() + handle.width() // 2 + offset


def send_mouse(slider: QSlider, kind: QEvent.Type, x: int, buttons: Qt.MouseButton) -> None:
    """One mouse event on the slider at pixel column ``x``."""
    pos = QPointF(x, slider.height() / 2)
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, pos, QPointF(slider.mapToGlobal(pos.toPoint())), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(slider, event)


class ScrubProbe:
    """Records when frames reach the screen and drives the slider with a timed mouse drag."""

    def __init__(self, window: MainWindow, rate: float) -> None:
        self.window, self.period_ms = window, round(1000 / rate)
        self.shown: list[tuple[float, int]] = []  # (time, frame) of each first paint of a new frame or preview
        self.shown_full: list[tuple[float, int]] = []  # (time, frame) of each first paint of a full-resolution frame
        self.settle: list[float] = []  # per drag: seconds from its last move to its last frame at full resolution
        self.moves: list[tuple[float, int]] = []  # (time, frame requested) of each slider move
        self.forward: list[bool] = []  # whether each move belongs to a forward drag
        self.sent: list[float] = []  # time of every mouse move sent, to check the event rate held
        window.view.frame_shown.connect(self._record)

    def _record(self, index: int) -> None:
        """Note a frame's first paint, and apart when it is the full-resolution frame."""
        now = time.perf_counter()
        self.shown.append((now, index))
        if not self.window.view.shown_preview:
            self.shown_full.append((now, index))

    def drag(self, targets: list[int]) -> None:
        """Press on the handle, move through the slider positions of ``targets`` one per period, release."""
        forward = targets[-1] > targets[0]
        slider = self.window.controls.slider
        left = Qt.MouseButton.LeftButton
        send_mouse(slider, QEvent.Type.MouseButtonPress, slider_x(slider, slider.value()), left)
        loop, queue = QEventLoop(), list(targets)

        def step() -> None:
            if not queue:
                release = QEvent.Type.MouseButtonRelease
                send_mouse(slider, release, slider_x(slider, slider.value()), Qt.MouseButton.NoButton)
                last_move, last_frame = self.moves[-1]
                wait_for_frame(self.window, last_frame, full=True)
                self.settle.append(next(t for t, f in reversed(self.shown_full) if f == last_frame) - last_move)
                QTimer.singleShot(100, loop.quit)
                return
            value = queue.pop(0)
            moved_at = time.perf_counter()
            self.sent.append(moved_at)
            send_mouse(slider, QEvent.Type.MouseMove, slider_x(slider, value), left)
            if not self.moves or slider.value() != self.moves[-1][1]:
                self.moves.append((moved_at, slider.value()))
                self.forward.append(forward)
            QTimer.singleShot(self.period_ms, step)

        QTimer.singleShot(0, step)
        loop.exec()

    def latencies(self) -> np.ndarray:
        """Per move: seconds until a frame requested by it or a later move was first painted (inf: never)."""
        move_times = np.array([t for t, _ in self.moves])
        shown = []  # (time, index of the move that asked for the frame shown)
        for shown_at, frame in self.shown:
            asked = [j for j in range(np.searchsorted(move_times, shown_at, side="right")) if self.moves[j][1] == frame]
            if asked:
                shown.append((shown_at, asked[-1]))
        result = np.full(len(self.moves), np.inf)
        for k, moved_at in enumerate(move_times):
            served = [shown_at for shown_at, asker in shown if shown_at >= moved_at and asker >= k]
            if served:
                result[k] = served[0] - moved_at
        return result


def wait_for_frame(window: MainWindow, frame: int, full: bool = False, timeout: float = 10.0) -> None:
    """Run the event loop until ``frame`` has been painted (at full resolution if ``full``, else also its preview)."""
    deadline = time.perf_counter() + timeout
    while window.view.shown_index != frame or (full and window.view.shown_preview):
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
        if time.perf_counter() > deadline:
            raise TimeoutError(f"frame {frame} was not shown within {timeout} s")


def click_latencies(window: MainWindow, clicks: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from a timeline click at a random frame to that frame on screen, one click at a time: to its first
    picture (the proxy's where there is one) and to its full-resolution frame."""
    rng = random.Random(seed)
    timeline, first, full = window.timeline, [], []
    for _ in range(clicks):
        frame = rng.randrange(timeline.num_frames)
        pos: QPoint = timeline.mapFromScene(timeline.plot.vb.mapViewToScene(QPointF(frame, 0.5)))
        start = time.perf_counter()
        for kind, buttons in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                              (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
            event = QMouseEvent(kind, QPointF(pos), QPointF(timeline.mapToGlobal(pos)), Qt.MouseButton.LeftButton,
                                buttons, Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(timeline.viewport(), event)
        wait_for_frame(window, window.playback.index)
        first.append(time.perf_counter() - start)
        wait_for_frame(window, window.playback.index, full=True)
        full.append(time.perf_counter() - start)
    return np.array(first), np.array(full)


def summary(seconds: np.ndarray) -> dict[str, float]:
    """Count, median, 90th percentile and maximum in milliseconds, and the share under 50 ms."""
    ms = seconds * 1000
    return {"count": len(ms), "median_ms": round(float(np.median(ms)), 1),
            "p90_ms": round(float(np.percentile(ms, 90)), 1), "max_ms": round(float(ms.max()), 1),
            "under_50ms": round(float(np.mean(ms < 50)), 3)}


def scrub_report(video: Path, rate: float, clicks: int, video_cache: Path | None = None) -> dict[str, Any]:
    """Open ``video`` in a fresh main window, drag the slider through SWEEPS, click the timeline; the report.

    ``video_cache`` keeps the video's index and proxy between runs (default: made afresh in a temporary folder).
    """
    from hmp_engine.bench.speed import machine_info

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as autosaves:
        window = MainWindow(autosave_folder=Path(autosaves) / "autosave", video_cache=video_cache)
        window.resize(1280, 860)
        window.show()
        opened_at = time.perf_counter()
        if not window.open_path(video):
            raise SystemExit(f"cannot open {video}")
        wait_for_frame(window, 0)
        ready_at = wait_for_proxy(window)
        proxy_s = None if ready_at is None else round(ready_at - opened_at, 1)
        probe = ScrubProbe(window, rate)
        last = window.playback.num_frames - 1
        offset = max(0, (last + 1 - SWEEP_SPAN) // 2)
        for start, stop, step in SWEEPS:
            window.playback.seek(min(offset + start, last))
            wait_for_frame(window, min(offset + start, last), full=True)
            probe.drag([min(offset + value, last) for value in range(start, stop + np.sign(step), step)])
        drag, forward = probe.latencies(), np.array(probe.forward)
        clicked, clicked_full = click_latencies(window, clicks)
        window.close()
    app.processEvents()
    return {
        "benchmark": "scrub",
        "video": str(video),
        "platform": QApplication.platformName(),
        "mouse_events_per_s": rate,
        "mouse_events_per_s_achieved": round(1 / float(np.median(np.diff(probe.sent))), 1),
        "machine": machine_info(),
        "scrub_proxy_ready_s": proxy_s,
        "drag": {**summary(drag), "moves_shown_exactly": _shown_exactly(probe)},
        "drag_forward": summary(drag[forward]),
        "drag_backward": summary(drag[~forward]),
        "drag_full_resolution_after_last_move": summary(np.array(probe.settle)),
        "timeline_clicks": summary(clicked),
        "timeline_clicks_full_resolution": summary(clicked_full),
    }


def wait_for_proxy(window: MainWindow, timeout: float = 900.0) -> float | None:
    """Run the event loop until the open video's scrub proxy serves previews; when that was (None: no proxy)."""
    if window.proxies.proxy is None and not window.proxies.building:
        return None
    deadline = time.perf_counter() + timeout
    while window.proxies.proxy is None:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the scrub proxy was not ready within {timeout} s")
    return time.perf_counter()


def _shown_exactly(probe: ScrubProbe) -> float:
    """Share of slider moves whose own frame reached the screen (the others were overtaken by newer moves)."""
    shown = {frame for _, frame in probe.shown}
    return round(sum(frame in shown for _, frame in probe.moves) / max(len(probe.moves), 1), 3)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its summary and write the JSON report if asked."""
    from hmp_engine.bench.speed import sample_video

    parser = argparse.ArgumentParser(prog="python -m hmp_studio.bench.scrub_latency",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=None, help="video to scrub (default: the bundled 720p sample)")
    parser.add_argument("--rate", type=float, default=60.0, help="mouse events per second while dragging")
    parser.add_argument("--clicks", type=int, default=40, help="timeline clicks at random frames")
    parser.add_argument("--video-cache", type=Path, help="folder keeping the video's index and scrub proxy between "
                        "runs (default: a fresh temporary one, so the proxy is made during the run)")
    parser.add_argument("-o", "--output", type=Path, help="JSON report to write")
    args = parser.parse_args(argv)
    report = scrub_report(args.video or sample_video(), args.rate, args.clicks, args.video_cache)
    machine = report["machine"]
    print(f"{machine['cpu']}, {machine['cores']} cores, Qt platform {report['platform']}, "
          f"{report['mouse_events_per_s_achieved']} mouse events/s")
    print(f"scrub proxy ready {report['scrub_proxy_ready_s']} s after opening (None: the video needs none)")
    for name in ("drag", "drag_forward", "drag_backward", "drag_full_resolution_after_last_move", "timeline_clicks",
                 "timeline_clicks_full_resolution"):
        figures = report[name]
        print(f"{name}: median {figures['median_ms']} ms, p90 {figures['p90_ms']} ms, max {figures['max_ms']} ms, "
              f"{figures['under_50ms']:.0%} under 50 ms, over {figures['count']}")
    if args.output:
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
