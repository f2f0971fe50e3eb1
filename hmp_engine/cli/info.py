"""`hmp info`: summarise a project file (video, frames, hands and how well they were detected, edits, fits).

Given a folder, it summarises the batch recorded there (`hmp batch`'s OUTDIR).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hmp_engine.cli import CommandError
from hmp_engine.session import Project, ProjectError, load_project


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `info` sub-command."""
    parser = subparsers.add_parser("info", help="print a summary of a project file or of a batch's folder")
    parser.add_argument("project", type=Path, help="a .hmp project file, or the OUTDIR of `hmp batch`")
    parser.set_defaults(func=run)


def summary(project: Project) -> list[str]:
    """The lines `hmp info` prints."""
    video = project.video
    width, height = video.size
    lines = [
        f"Project:  {project.path}",
        f"Video:    {video.path}" + ("" if Path(video.path).exists() else "  (not found)"),
        f"SHA-256:  {video.sha256}",
        f"Frames:   {video.num_frames} at {video.fps:g} fps ({video.num_frames / video.fps:.2f} s), "
        f"{width}x{height}",
    ]
    tracks = project.detections.tracks if project.detections is not None else []
    lines.append(f"Hands:    {len(tracks)}" if project.detections is not None else "Hands:    not detected yet")
    for index, track in enumerate(tracks):
        confidence = track.confidence[track.detected].mean() if track.detected.any() else 0.0
        lines.append(
            f"  track {index}: {track.handedness}, detected in {int(track.detected.sum())}/{track.num_frames} "
            f"frames ({track.detected_fraction:.1%}), mean confidence {confidence:.2f}, "
            f"{len(project.edits.get(index, {}))} edits"
        )
    lines.append(f"Edits:    {project.num_edits}")
    lines.append(f"Fits:     {', '.join(sorted(project.fits)) or 'none'}")
    for side, fit in sorted(project.fits.items()):
        valid = np.asarray(fit.arrays["valid"], dtype=bool)
        observed = np.asarray(fit.arrays.get("observed", valid), dtype=bool) & valid
        lines.append(f"  {side}: {int(observed.sum())} frames observed, {int((valid & ~observed).sum())} infilled, "
                     f"{int((~valid).sum())} absent")
    lines.append(f"Weights:  {', '.join(sorted(project.weights)) or 'none'}")
    lines.append(f"Saved:    created {project.created}, modified {project.modified}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Load the project and print its summary (a folder: the batch's summary)."""
    if args.project.is_dir():
        return batch_status(args.project)
    try:
        project = load_project(args.project)
    except ProjectError as error:
        raise CommandError(str(error)) from error
    print("\n".join(summary(project)))
    return 0


def batch_status(folder: Path) -> int:
    """Print the summary of the batch recorded in ``folder``; CommandError when it holds none."""
    from hmp_engine.batch.manifest import ManifestError, load_manifest
    from hmp_engine.batch.report import summary as batch_summary

    try:
        manifest = load_manifest(folder)
    except ManifestError as error:
        raise CommandError(str(error)) from error
    if manifest is None:
        raise CommandError(f"'{folder}' holds no batch (batch.json)")
    print("\n".join(batch_summary(manifest)))
    return 0
