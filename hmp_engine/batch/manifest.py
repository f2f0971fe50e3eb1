"""The record of a batch: ``OUTDIR/batch.json`` (settings and one entry per video) and ``OUTDIR/batch.csv``.

An entry says whether its video is done, failed (with the error's one-line message) or skipped (the batch was
stopped before it finished), and for a processed video its frames, hands, fit quality per hand (median
reprojection error, mean joint acceleration), seconds per step, output files and the host that ran it. Entries
are ``pending`` only while a run is under way. Both files are replaced atomically, so a reader, or a batch
stopped at any moment, finds a complete record.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from hmp_engine import __version__
from hmp_engine.atomic import write_bytes_atomic
from hmp_engine.batch.settings import BatchSettings, SettingsError

MANIFEST_NAME = "batch.json"
TABLE_NAME = "batch.csv"
FORMAT = "HMP Studio batch"
SCHEMA_VERSION = 1
STATUSES: tuple[str, ...] = ("pending", "done", "failed", "skipped")
STEPS: tuple[str, ...] = ("detect", "fit", "export", "render", "total")
SIDES: tuple[str, ...] = ("right", "left")


class ManifestError(Exception):
    """A batch manifest cannot be read or written; the message names the file and the reason."""


@dataclass
class VideoEntry:
    """One video of a batch: its status and, once processed, what came of it (see the module docstring)."""

    name: str
    video: str
    status: str = "pending"
    error: str = ""
    frames: int | None = None
    hands: list[str] = field(default_factory=list)
    fit: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    host: str = ""
    finished: str = ""

    def reset(self) -> None:
        """Back to pending, forgetting an earlier attempt (before it runs again)."""
        blank = VideoEntry(self.name, self.video)
        for item in fields(self):
            setattr(self, item.name, getattr(blank, item.name))


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """A batch's settings and entries (by name, in the order they were added), saved in ``folder``."""

    folder: Path
    settings: BatchSettings
    entries: dict[str, VideoEntry] = field(default_factory=dict)
    created: str = field(default_factory=now)
    updated: str = ""

    def counts(self) -> dict[str, int]:
        """The number of entries in each status (every status listed, zeros included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for entry in self.entries.values():
            counts[entry.status] += 1
        return counts

    def stop_pending(self, reason: str) -> None:
        """Record every video still pending as skipped for ``reason`` (a run stopped before reaching it)."""
        for entry in self.entries.values():
            if entry.status == "pending":
                entry.status, entry.error = "skipped", reason

    def save(self) -> None:
        """Write batch.json, then batch.csv, each atomically. Raises ManifestError."""
        self.updated = now()
        document = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "app_version": __version__,
                    "created": self.created, "updated": self.updated, "settings": self.settings.to_dict(),
                    "videos": [asdict(entry) for entry in self.entries.values()]}
        try:
            write_bytes_atomic(self.folder / MANIFEST_NAME, json.dumps(document, indent=1).encode("utf-8"))
            write_bytes_atomic(self.folder / TABLE_NAME, _table(self.entries.values()).encode("utf-8"))
        except OSError as error:
            reason = error.strerror or error
            raise ManifestError(f"cannot write the batch record in '{self.folder}': {reason}") from None


def load_manifest(folder: Path) -> Manifest | None:
    """The batch recorded in ``folder``, or None when it holds no batch.json. Raises ManifestError."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"cannot read the batch record '{path}': {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ManifestError(f"'{path}' is not an HMP Studio batch record")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ManifestError(f"'{path}' has batch schema {document.get('schema_version')}; this version reads "
                            f"{SCHEMA_VERSION}")
    try:
        entries = [VideoEntry(**entry) for entry in document["videos"]]
        if any(entry.status not in STATUSES for entry in entries):
            raise ValueError("unknown status")
        settings = BatchSettings.from_dict(document["settings"])
    except (KeyError, TypeError, ValueError, SettingsError) as error:
        raise ManifestError(f"the batch record '{path}' is damaged ({error})") from error
    return Manifest(folder, settings, {entry.name: entry for entry in entries}, document.get("created", ""),
                    document.get("updated", ""))


def _table(entries: Any) -> str:
    """The CSV of the entries: one row per video, fit figures per hand, seconds per step."""
    header = ["name", "video", "status", "error", "frames", "hands"]
    header += [f"{side}_{figure}" for side in SIDES
               for figure in ("reprojection_median_px", "acceleration_mm_per_frame2")]
    header += [f"{step}_s" for step in STEPS] + ["host", "finished"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for entry in entries:
        row: list[Any] = [entry.name, entry.video, entry.status, entry.error, entry.frames, "+".join(entry.hands)]
        row += [_figure(entry.fit.get(side, {}).get(figure)) for side in SIDES
                for figure in ("reprojection_median_px", "acceleration_mm_per_frame2")]
        row += [_figure(entry.seconds.get(step)) for step in STEPS] + [entry.host, entry.finished]
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def _figure(value: float | None) -> str:
    """A figure for the table, three decimals; empty when absent."""
    return "" if value is None else f"{value:.3f}"
