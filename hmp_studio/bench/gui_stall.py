"""How long the GUI thread stalls during a fit: ``python -m hmp_studio.bench.gui_stall [--frames N] [--iterations A B C]
[--trace-stalls MS]``.

Opens the bundled sample in the real window, detects its first frames, then runs a fit from the Fit dock while
the video plays (frames decoded, keypoints and the previous fit's meshes drawn), and a 10 ms timer on the GUI
thread records the longest gap between its ticks: the longest the window could not respond. Prints a JSON report;
with ``--trace-stalls`` it also lists where the GUI thread was while blocked for longer than MS milliseconds.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import PySide6
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from hmp_engine.bench.speed import sample_video
from hmp_studio.bench.stall_sampler import StallSampler


def _wait(signal: object, timeout_s: float) -> None:
    """Run the event loop until ``signal`` fires."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="frames to detect and fit (default 120)")
    parser.add_argument("--iterations", type=int, nargs=3, default=(100, 100, 50), metavar="N")
    parser.add_argument("--settings", type=Path, default=Path("/tmp/hmp_bench_gui_settings"))
    parser.add_argument("--trace-stalls", type=float, metavar="MS", help="sample the GUI thread's stack in stalls")
    args = parser.parse_args(argv)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(args.settings))
    app = QApplication.instance() or QApplication([])
    from hmp_studio.main_window import MainWindow

    window = MainWindow(autosave_folder=args.settings / "autosave")
    window.show()
    window.open_path(sample_video())
    window.detection.start(max_frames=args.frames)
    _wait(window.detection.finished, 600)
    window.fit_panel.weights.set_iterations(*args.iterations)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer(interval=10)
    heartbeat.timeout.connect(tick)
    sampler = StallSampler(args.trace_stalls / 1000) if args.trace_stalls else None
    if sampler is not None:
        heartbeat.timeout.connect(sampler.beat)
    results = []
    for run in ("first fit (no overlay yet)", "refit while the overlay plays"):
        gaps.clear()
        window.playback.seek(0)
        if run.startswith("refit"):
            window.timeline.set_range(0, args.frames - 1)
            window.playback.play()
        start = last[0] = time.perf_counter()
        heartbeat.start()
        if sampler is not None:
            sampler.start()
        window.fit_panel.run()
        _wait(window.fit_panel.runner.finished, 1200)
        heartbeat.stop()
        if sampler is not None:
            sampler.pause()
        window.playback.pause()
        ordered = sorted(gaps)
        results.append({"run": run, "seconds": round(time.perf_counter() - start, 2), "ticks": len(gaps),
                        "max_gap_ms": round(1000 * ordered[-1], 1),
                        "p99_gap_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 1),
                        "overlay_frames_cached": len(window.meshes.cache)})
    window.document.undo_stack.setClean()
    window.close()
    report = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.processor() or platform.machine()}, "
              f"{platform.system()}, Python {platform.python_version()}, PySide6 {PySide6.__version__}",
              "qt_platform": app.platformName(), "frames": args.frames, "iterations": list(args.iterations),
              "runs": results}
    print(json.dumps(report, indent=2))
    if sampler is not None:
        for stall in sampler.report():
            print(f"--- GUI thread stalled here for {stall['ms']} ms of samples:\n{stall['stack']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
