"""Which videos a run of a batch does, with which settings, into which folder.

A new batch needs a new or empty OUTDIR; an OUTDIR holding a batch is only taken up again when asked (resume),
with the settings it was started with: an option given again must agree with them. Resuming runs the videos not
yet done or failed (pending, skipped, and new inputs); retrying the failed runs those too; done videos never
run again.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from hmp_engine.batch.inputs import video_names
from hmp_engine.batch.manifest import MANIFEST_NAME, Manifest, VideoEntry, load_manifest
from hmp_engine.batch.settings import BatchSettings, SettingsError
from hmp_engine.batch.task import SharedModels
from hmp_engine.fitting import default_prior_path
from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.checkpoint import load_prior


class PlanError(Exception):
    """The batch cannot start as asked; the message says why and what to do."""


def open_batch(outdir: Path, given: dict[str, Any], resume: bool) -> Manifest:
    """The batch in ``outdir``: the recorded one when resuming, else a new one.

    ``given`` options (None: left out) must agree with a recorded batch's settings, and make a new batch's
    (defaults for the others). Raises PlanError, ManifestError.
    """
    outdir = outdir.absolute()  # workers on other nodes write there: they do not share this process's folder
    if outdir.exists() and not outdir.is_dir():
        raise PlanError(f"'{outdir}' is a file, not a folder for the batch's outputs")
    manifest = load_manifest(outdir) if outdir.is_dir() else None
    if manifest is None:
        if outdir.is_dir() and any(outdir.iterdir()):
            raise PlanError(f"'{outdir}' is not empty and holds no batch ({MANIFEST_NAME}): choose a new or empty "
                            "folder")
        try:
            settings = BatchSettings(**{key: value for key, value in given.items() if value is not None})
        except SettingsError as error:
            raise PlanError(str(error)) from error
        outdir.mkdir(parents=True, exist_ok=True)
        return Manifest(outdir, settings)
    if not resume:
        raise PlanError(f"'{outdir}' already holds a batch: add --resume to go on with it (--retry-failed to redo "
                        "its failed videos too), or choose another folder")
    for item in fields(BatchSettings):
        value = given.get(item.name)
        if value is not None and value != getattr(manifest.settings, item.name):
            raise PlanError(f"the batch in '{outdir}' was started with {item.name} = "
                            f"{getattr(manifest.settings, item.name)!r}, not {value!r}: leave the option out to "
                            "keep it, or start a new batch in another folder")
    return manifest


def add_videos(manifest: Manifest, videos: list[Path]) -> None:
    """Add an entry for every video the batch does not list yet, under its own output name."""
    known = {Path(entry.video): entry.name for entry in manifest.entries.values()}
    for video, name in video_names(videos, known).items():
        if video not in known:
            manifest.entries[name] = VideoEntry(name, str(video))


def videos_to_run(manifest: Manifest, retry_failed: bool) -> list[str]:
    """The names of the videos this run does (see the module docstring), reset to pending."""
    statuses = {"pending", "skipped"} | ({"failed"} if retry_failed else set())
    names = [name for name, entry in manifest.entries.items() if entry.status in statuses]
    for name in names:
        manifest.entries[name].reset()
    return names


def load_shared(settings: BatchSettings) -> SharedModels:
    """The hand models of both sides and the prior, loaded on the CPU. Raises CheckpointError, HandModelFileError."""
    models = {side: load_hand_model(settings.hand_model, side) for side in ("right", "left")}
    return SharedModels(models, load_prior(settings.prior or default_prior_path(), "cpu"))
