"""`hmp fit`: the HMP fit of every hand in a project (or a video, detected first), stored in the project.

Settings: the project's stored weights when it has them and neither --preset nor --method is given, else the
named preset (default "wild") for the method; --iterations then overrides the stages' iteration counts and
--max-gap the longest run of missing frames infilled (longer runs, and a hand that left the picture, are absent).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

from hmp_engine.camera import Camera
from hmp_engine.cli import CommandError
from hmp_engine.cli.detect import default_output, warn_if_cut_short
from hmp_engine.cli.targets import check_output
from hmp_engine.detection import detect_video
from hmp_engine.fitting import (
    DEFAULT_PRESET,
    METHODS,
    PRESETS,
    FitSettings,
    ProjectFit,
    default_prior_path,
    fit_project,
    hand_tracks,
    preset,
    project_detections,
    resolve_device,
    to_motion,
)
from hmp_engine.hand_model import HandModelFileError, load_hand_model, resolve_model_source
from hmp_engine.motion_file import MotionFileError, write_motion
from hmp_engine.prior.checkpoint import CheckpointError, load_prior
from hmp_engine.prior.model import MotionPrior
from hmp_engine.progress import ProgressEvent, TerminalProgress
from hmp_engine.session import Project, ProjectError, VideoRef, load_project
from hmp_engine.video import VideoError, open_video


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `fit` sub-command."""
    parser = subparsers.add_parser("fit", help="fit 3D hand motion to a project's (or a video's) keypoints")
    parser.add_argument("input", type=Path, metavar="VIDEO|PROJECT", help="a .hmp project, or a video to detect first")
    parser.add_argument("-o", "--output", type=Path, metavar="PROJECT",
                        help="project to write (default: the input project, or VIDEO stem + .hmp)")
    parser.add_argument("--preset", choices=PRESETS,
                        help=f"loss weights (default: the project's, else {DEFAULT_PRESET})")
    parser.add_argument("--method", choices=METHODS, help="hmp (default) or a baseline of the paper's ablation")
    parser.add_argument("--prior", type=Path, metavar="CKPT", help="motion prior checkpoint (default: bundled)")
    parser.add_argument("--hand-model", metavar="open|DIR", help="hand model: open (bundled) or a MANO folder")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: cuda if present")
    parser.add_argument("--iterations", type=int, nargs="+", metavar="N", help="iterations of stage 1, 2 [, 3]")
    parser.add_argument("--focal", type=float, metavar="PX", help="focal length in pixels (default: 0.75 x long side)")
    parser.add_argument("--seed", type=int, help="random seed (default: the settings')")
    parser.add_argument("--max-gap", type=float, metavar="S",
                        help="longest run of missing frames to infill, in seconds (default: the settings', 2)")
    parser.add_argument("--save-motion", type=Path, metavar="NPZ", help="also write the motion .npz")
    parser.add_argument("--force", action="store_true",
                        help="replace an output the write rule protects (an existing project other than the input)")
    parser.set_defaults(func=run)


def _detect(args: argparse.Namespace, output: Path) -> Project:
    """Detect the hands of the input video and save them to ``output`` at once, so a stopped fit keeps them."""
    with open_video(args.input) as video:
        warn_if_cut_short(video)
        result = detect_video(video, progress=TerminalProgress(sys.stderr))
    if not result.tracks:
        raise CommandError(f"no hand found in any of the {result.num_frames} frames of '{args.input}'")
    project = Project(VideoRef.from_file(args.input), result)
    project.save(output)
    return project


def _check_outputs(args: argparse.Namespace, output: Path, project: Project | None) -> None:
    """Refuse the outputs the write rule protects, and a --save-motion folder that cannot be written, before any
    long work (and so before the project is rewritten)."""
    if project is None:
        if output.exists() and not args.force:
            raise CommandError(f"'{output}' already exists; fit it directly, use --force to replace it, or -o")
        check_output(output, "project", force=args.force, inputs=[args.input])
    else:
        check_output(output, "project", force=args.force, opened=args.input, source_video=project.video.path)
    if args.save_motion:
        check_output(args.save_motion, "file", force=args.force, inputs=[args.input, output],
                     source_video=project.video.path if project else None)
        folder = args.save_motion.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise CommandError(f"cannot write '{args.save_motion}': its folder does not exist or is not writable")
    if args.focal is not None and not 0 < args.focal < float("inf"):
        raise CommandError(f"--focal must be a positive number of pixels, not {args.focal:g}")


def _load_prior(path: Path | None, device: torch.device) -> MotionPrior:
    """The prior checkpoint (default: bundled) on the device; CommandError when it cannot be read."""
    try:
        return load_prior(path or default_prior_path(), device)
    except CheckpointError as error:
        raise CommandError(f"{error} (give a checkpoint with --prior, or use --method no-prior)") from error


def _settings(args: argparse.Namespace, weights: dict) -> FitSettings:
    """The settings of this run, given the project's stored weights (see the module docstring)."""
    if weights and args.preset is None and args.method is None:
        try:
            settings = FitSettings.from_dict(weights)
        except (KeyError, TypeError, ValueError) as error:
            raise CommandError(f"the project's stored fit settings cannot be used ({error!r}); choose --preset "
                               "to replace them") from error
    else:
        settings = preset(args.preset or DEFAULT_PRESET, args.method or "hmp")
    if args.iterations:
        if len(args.iterations) > 3 or min(args.iterations) < 0:
            raise CommandError("--iterations takes 1 to 3 counts >= 0 (stage 1, 2, 3)")
        settings = settings.with_iterations(*args.iterations)
    if args.seed is not None:
        settings.seed = args.seed
    if args.max_gap is not None:
        if not args.max_gap >= 0:
            raise CommandError(f"--max-gap takes seconds >= 0, not {args.max_gap}")
        settings.max_gap_s = args.max_gap
    return settings


class StageProgress:
    """A terminal progress bar per fit stage, so each stage's rate and ETA count from its own start."""

    def __init__(self) -> None:
        self._stage, self._bar = "", TerminalProgress(sys.stderr, "it")

    def __call__(self, event: ProgressEvent) -> None:
        """Draw one progress event, starting a new bar when the stage changes."""
        if event.stage != self._stage:
            self._stage, self._bar = event.stage, TerminalProgress(sys.stderr, "it")
        self._bar(event)


def _report(fit: ProjectFit) -> list[str]:
    """One line per hand: median reprojection error and mean joint acceleration, initialisation -> fit."""
    lines = []
    for side, hand_fit in fit.fits.items():
        init, after = hand_fit.metadata["init"], hand_fit.metadata["fit"]
        lines.append(
            f"{side}: median reprojection error {after['reprojection_median_px']:.1f} px "
            f"(init {init['reprojection_median_px']:.1f}); mean joint acceleration "
            f"{init['acceleration_mm_per_frame2']:.2f} -> {after['acceleration_mm_per_frame2']:.2f} mm/frame^2 "
            f"({init['acceleration_m_per_s2']:.2f} -> {after['acceleration_m_per_s2']:.2f} m/s^2)")
    return lines


def run(args: argparse.Namespace) -> int:
    """Check every argument, detect if needed (saved at once), fit, store the fits and settings, write the project
    (after the motion file, so a motion file that cannot be written leaves the project as it was)."""
    try:
        device = resolve_device(args.device)
        project = load_project(args.input) if args.input.suffix == ".hmp" else None
        output = args.output or (args.input if project is not None else default_output(args.input))
        _check_outputs(args, output, project)
        settings = _settings(args, project.weights if project is not None else {})
        source = resolve_model_source(args.hand_model)
        models = {"right": load_hand_model(source, "right")}
        prior = _load_prior(args.prior, device) if settings.method != "no-prior" else None
        if project is None:
            project = _detect(args, output)
        models.update({side: load_hand_model(source, side) for side in hand_tracks(project)})
        camera = None if args.focal is None else Camera.from_focal(args.focal, project_detections(project).image_size)
        fit = fit_project(project, models, settings, prior, camera, device, StageProgress())
        project.fits.update(fit.fits)
        project.weights = settings.to_dict()
        if args.save_motion:
            fps = project_detections(project).fps
            write_motion(args.save_motion, to_motion(fit, fps, next(iter(models.values())).name))
        project.save(output)
    except (VideoError, ProjectError, HandModelFileError, MotionFileError, ValueError) as error:
        raise CommandError(str(error)) from error
    print("\n".join(_report(fit)))
    print(f"wrote {output}" + (f" and {args.save_motion}" if args.save_motion else ""))
    return 0
