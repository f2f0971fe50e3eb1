"""`hmp batch`: detect, fit and export many videos into OUTDIR/<name>/, resumable, on this machine or a Ray cluster.

The work is in `hmp_engine.batch`; this module parses the options, prints the summary and picks the exit status:
0 only when every video of the batch is done, 1 otherwise, 130 when stopped by Ctrl+C. Ray is imported only when
a batch runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hmp_engine.cli import CommandError

if TYPE_CHECKING:
    from hmp_engine.batch.manifest import Manifest
    from hmp_engine.batch.report import BatchProgress
    from hmp_engine.batch.task import SharedModels


def export_list(text: str) -> tuple[str, ...]:
    """'npz,fbx' -> ('npz', 'fbx'); 'none' -> (). The formats are checked with the other settings."""
    return () if text.strip() == "none" else tuple(part.strip() for part in text.split(",") if part.strip())


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `batch` sub-command."""
    parser = subparsers.add_parser("batch", help="detect, fit and export many videos, resumable, on this machine "
                                                 "or a Ray cluster")
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="videos, folders (searched for videos), glob patterns, or .txt lists of them")
    parser.add_argument("-o", "--output", type=Path, metavar="OUTDIR",
                        help="folder of the batch: OUTDIR/<name>/ per video, batch.json and batch.csv")
    parser.add_argument("--status", type=Path, metavar="OUTDIR", help="summarise the batch in OUTDIR and stop")
    parser.add_argument("--address", metavar="ADDRESS",
                        help="join a Ray cluster: auto (this node's), or ray://HOST:10001 (default: a local Ray)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="videos at once (default: every usable core; on a cluster every CPU)")
    parser.add_argument("--gpus-per-task", type=float, metavar="G", help="GPUs each video's task takes (default 0: "
                                                                         "CPU only)")
    parser.add_argument("--preset", metavar="wild|lab", help="loss weights of the fit (default: wild)")
    parser.add_argument("--iterations", type=int, nargs="+", metavar="N", help="iterations of stage 1, 2 [, 3]")
    parser.add_argument("--prior", type=Path, metavar="CKPT", help="motion prior checkpoint (default: bundled)")
    parser.add_argument("--hand-model", metavar="open|DIR", help="hand model: open (bundled) or a MANO folder")
    parser.add_argument("--export", type=export_list, metavar="FORMATS",
                        help="comma-separated: npz, amass, fbx, glb, bvh, keypoints, or none (default: npz)")
    parser.add_argument("--render", action="store_true", default=None, help="also render the overlay video")
    parser.add_argument("--resume", action="store_true", help="go on with the batch in OUTDIR (done videos skipped)")
    parser.add_argument("--retry-failed", action="store_true", help="resume, and redo the failed videos too")
    parser.set_defaults(func=run)


def _given_settings(args: argparse.Namespace) -> dict[str, object]:
    """The batch settings the command line gives (None where an option was left out)."""
    from hmp_engine.hand_model import resolve_model_source

    return {"preset": args.preset, "iterations": tuple(args.iterations) if args.iterations else None,
            "prior": str(args.prior.resolve()) if args.prior else None,
            "hand_model": str(resolve_model_source(args.hand_model)) if args.hand_model else None,
            "exports": args.export, "render": args.render, "gpus_per_task": args.gpus_per_task}


def run(args: argparse.Namespace) -> int:
    """Summarise (--status), or plan the batch, run its videos on Ray, print the summary."""
    from hmp_engine.batch.manifest import ManifestError
    from hmp_engine.cli.info import batch_status

    if args.status is not None:
        return batch_status(args.status)
    if args.output is None:
        raise CommandError("give the batch's folder with -o OUTDIR (or --status OUTDIR to summarise one)")
    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers must be at least 1")
    try:
        return _run_batch(args)
    except ManifestError as error:
        raise CommandError(str(error)) from error


def _run_batch(args: argparse.Namespace) -> int:
    """Plan, save the plan, run it, save and summarise the result."""
    from hmp_engine.batch.inputs import InputError, discover_videos
    from hmp_engine.batch.plan import PlanError, add_videos, load_shared, open_batch, videos_to_run
    from hmp_engine.batch.report import BatchProgress, summary
    from hmp_engine.hand_model import HandModelFileError
    from hmp_engine.prior.checkpoint import CheckpointError

    try:
        videos = discover_videos(args.inputs)
        manifest = open_batch(args.output, _given_settings(args), args.resume or args.retry_failed)
    except (InputError, PlanError, HandModelFileError) as error:
        raise CommandError(str(error)) from error
    add_videos(manifest, videos)
    if not manifest.entries:
        raise CommandError("give at least one INPUT (videos, folders, patterns or lists of videos)")
    names = videos_to_run(manifest, args.retry_failed)
    if not names:  # nothing changed: the record stays as it is
        print("nothing to do: every video of the batch is done or failed (--retry-failed redoes the failed)")
        finished = True
    else:
        try:
            shared = load_shared(manifest.settings)
        except (CheckpointError, HandModelFileError) as error:
            raise CommandError(str(error)) from error
        manifest.save()
        finished = _run_on_ray(args, manifest, names, shared, BatchProgress(sys.stderr, len(names)))
    print("\n".join(summary(manifest)))
    if not finished:
        print(f"hmp batch: stopped by Ctrl+C; finish with: hmp batch -o {args.output} --resume", file=sys.stderr)
        return 130
    return 0 if all(entry.status == "done" for entry in manifest.entries.values()) else 1


def _run_on_ray(args: argparse.Namespace, manifest: Manifest, names: list[str], shared: SharedModels,
                progress: BatchProgress) -> bool:
    """Run the videos on a local Ray (one task per usable core unless --workers) or the cluster.

    Returns False when stopped by Ctrl+C. The manifest is saved at the end whatever happens: videos that did not
    run (Ray could not start, Ctrl+C while it started) are recorded as skipped.
    """
    from hmp_engine.batch.runner import STOPPED, ClusterError, ray_session, run_batch

    workers = args.workers or (_usable_cores() if args.address is None else None)
    try:
        with ray_session(args.address, workers, manifest.settings.gpus_per_task) as slots:
            return run_batch(manifest, names, shared, slots, progress)
    except ClusterError as error:
        manifest.stop_pending(f"not run: {error}")
        raise CommandError(str(error)) from error
    except KeyboardInterrupt:
        manifest.stop_pending(STOPPED)
        return False
    finally:
        manifest.save()


def _usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
