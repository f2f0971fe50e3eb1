"""What a batch shows a person: one progress bar over the whole batch while it runs, a summary and table after.

The bar counts videos (done and failed) and frames done, the rate in videos per minute and the ETA from it; it
redraws in place on a terminal and writes a line every few seconds into a log.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from typing import TextIO

from hmp_engine.batch.manifest import MANIFEST_NAME, STEPS, TABLE_NAME, Manifest, VideoEntry

FULL_TABLE_ROWS = 40
"""Batches up to this many videos print a row per video; larger ones only their failed and skipped videos."""


class BatchProgress:
    """The batch's progress bar on a text stream (stderr for the CLI)."""

    def __init__(self, stream: TextIO, total: int, width: int = 24) -> None:
        """A bar for ``total`` videos, ``width`` characters wide."""
        self.stream, self.total, self.width = stream, total, width
        self._interval = 0.5 if stream.isatty() else 5.0
        self._start = time.monotonic()
        self._last_draw = -float("inf")

    def update(self, done: int, failed: int, frames: int, running: int, final: bool = False) -> None:
        """Redraw (at most every interval, always when ``final``) with the counts of this run so far."""
        now = time.monotonic()
        if not final and now - self._last_draw < self._interval:
            return
        self._last_draw = now
        finished = done + failed
        per_minute = finished / max(now - self._start, 1e-9) * 60
        eta = (self.total - finished) / per_minute * 60 if per_minute > 0 else float("nan")
        filled = round(self.width * finished / self.total) if self.total else self.width
        line = (f"batch [{'#' * filled}{'.' * (self.width - filled)}] {finished}/{self.total} videos"
                f"{f' ({failed} failed)' if failed else ''}, {frames} frames, {running} running, "
                f"{per_minute:.1f} videos/min, ETA {_clock(eta)}")
        end = "\n" if final or not self.stream.isatty() else ""
        self.stream.write(f"\r{line}\033[K{end}" if self.stream.isatty() else f"{line}{end}")
        self.stream.flush()


def _clock(seconds: float) -> str:
    """Seconds as h:mm:ss (or m:ss), '?' while unknown."""
    if seconds != seconds:
        return "?"
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def summary(manifest: Manifest) -> list[str]:
    """The lines `hmp info OUTDIR` and the end of `hmp batch` print: counts, frames, time, quality, a table."""
    entries = list(manifest.entries.values())
    counts = manifest.counts()
    done = [entry for entry in entries if entry.status == "done"]
    lines = [f"Batch:    {manifest.folder} ({MANIFEST_NAME}, {TABLE_NAME}), updated {manifest.updated}",
             f"Videos:   {len(entries)}: " + ", ".join(f"{count} {status}" for status, count in counts.items()
                                                         if count or status == "done")]
    if done:
        hands = [side for entry in done for side in entry.hands]
        lines.append(f"Frames:   {sum(entry.frames or 0 for entry in done)} in the done videos; hands: "
                     f"{hands.count('right')} right, {hands.count('left')} left")
        step_seconds = {step: sum(entry.seconds.get(step, 0.0) for entry in done) for step in STEPS}
        lines.append("Time:     " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in step_seconds.items()
                                              if seconds) + " (summed over the done videos)")
        errors = [hand["reprojection_median_px"] for entry in done for hand in entry.fit.values()]
        if errors:
            lines.append(f"Quality:  median reprojection error per hand: median {statistics.median(errors):.1f} px, "
                         f"worst {max(errors):.1f} px")
    shown = entries if len(entries) <= FULL_TABLE_ROWS else [entry for entry in entries if entry.status != "done"]
    if shown:
        lines += ["", *table(shown)]
    return lines


def table(entries: Iterable[VideoEntry]) -> list[str]:
    """A fixed-width table, one row per video: status, frames, hands, fit quality, seconds, the error if any."""
    header = ("name", "status", "frames", "hands", "reproj px", "accel mm/f2", "seconds", "error")
    rows = [header]
    for entry in entries:
        hands = entry.fit.values()
        reprojection = "/".join(f"{hand['reprojection_median_px']:.1f}" for hand in hands)
        acceleration = "/".join(f"{hand['acceleration_mm_per_frame2']:.2f}" for hand in hands)
        seconds = entry.seconds.get("total")
        rows.append((entry.name, entry.status, "" if entry.frames is None else str(entry.frames),
                     "+".join(entry.hands), reprojection, acceleration,
                     "" if seconds is None else f"{seconds:.1f}", entry.error))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] for row in rows]
