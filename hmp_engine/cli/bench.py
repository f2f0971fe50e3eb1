"""`hmp bench`: measure the engine; `speed`, `prior` and `accuracy` write JSON reports."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hmp_engine.bench.accuracy import AccuracyConfig, accuracy_report
from hmp_engine.bench.accuracy import markdown as accuracy_markdown
from hmp_engine.bench.fit_speed import FitOptions
from hmp_engine.bench.ground_truth import built_in_set, file_recipes
from hmp_engine.bench.methods import METHODS
from hmp_engine.bench.observations import OCCLUSION_LEVELS
from hmp_engine.bench.prior import prior_report
from hmp_engine.bench.speed import DEFAULT_STEPS, STEPS, sample_video, speed_report
from hmp_engine.cli import CommandError
from hmp_engine.fitting.fit import default_prior_path
from hmp_engine.hand_model import HandModelFileError, load_hand_model, resolve_model_source
from hmp_engine.motion_file import MotionFileError
from hmp_engine.prior.data import SUFFIXES, DataError, data_files, load_sequences
from hmp_engine.prior.evaluate import markdown
from hmp_engine.video import VideoError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `bench` sub-command and its benchmarks."""
    parser = subparsers.add_parser("bench", help="measure the speed and accuracy of the engine and its prior")
    benchmarks = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    speed = benchmarks.add_parser("speed", help="frames per second of each step, with the machine description")
    speed.add_argument("--video", type=Path, help="input video (default: the bundled 720p sample)")
    speed.add_argument("--frames", type=int, metavar="N", help="measure on the first N frames only")
    speed.add_argument("-o", "--output", type=Path, required=True, metavar="REPORT", help="JSON report to write")
    speed.add_argument("--steps", type=step_list, default=DEFAULT_STEPS, metavar="STEP,...",
                       help=f"what to measure, from {', '.join(STEPS)} (default: all but fit_long)")
    speed.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                       help="where the fits run (default: cpu; auto: cuda when present)")
    speed.add_argument("--iterations", type=int, nargs=3, metavar="N",
                       help="the fits' iterations per stage (default: the preset's)")
    speed.add_argument("--long-minutes", type=float, default=10.0, metavar="MIN",
                       help="length of the generated clip fit_long fits (default: 10)")
    speed.set_defaults(func=run_speed)
    prior = benchmarks.add_parser("prior", help="reconstruction and infilling of held-out motion by a prior")
    prior.add_argument("--prior", type=Path, help="checkpoint (default: the bundled default prior)")
    prior.add_argument("--video", type=Path, help="video whose lifted motion is evaluated (default: the sample)")
    _add_motion_arguments(prior, "motion files or folders also evaluated, as one set of real windows")
    prior.add_argument("--motion-only", action="store_true",
                       help="evaluate the --motion files only (skip the built-in synthetic, mocap and video sets)")
    prior.add_argument("-o", "--output", type=Path, required=True, metavar="REPORT", help="JSON report to write")
    prior.set_defaults(func=run_prior)
    _register_accuracy(benchmarks)


def _register_accuracy(benchmarks: argparse._SubParsersAction) -> None:
    """Add `bench accuracy`."""
    accuracy = benchmarks.add_parser("accuracy", help="every method against ground truth, on simulated detections")
    _add_motion_arguments(accuracy, "ground-truth motion files or folders (default: the built-in held-out test set)")
    accuracy.add_argument("--frames", type=int, metavar="N", help="score only the first N frames of each --motion hand")
    accuracy.add_argument("--hand-model", metavar="open|DIR", help="hand model: open (bundled) or a MANO folder")
    accuracy.add_argument("--occlusion", choices=tuple(OCCLUSION_LEVELS), default="normal",
                          help="simulated occlusions (default: normal; heavy: about a third of frames)")
    accuracy.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS), metavar="METHOD",
                          help=f"methods to score (default: all of {', '.join(METHODS)})")
    accuracy.add_argument("--seed", type=int, default=0, help="seed of the simulated detections (default: 0)")
    accuracy.add_argument("--prior", type=Path, metavar="CKPT", help="motion prior checkpoint (default: bundled)")
    accuracy.add_argument("--tune", action="store_true",
                          help="first re-tune each method's weight on the built-in validation split (slow)")
    accuracy.add_argument("--workers", type=int, default=0, metavar="N",
                          help="worker processes (default: one per usable core)")
    accuracy.add_argument("--iterations", type=int, nargs=3, metavar=("S1", "S2", "S3"),
                          help="replace the preset's iterations of stages 1-3 (quick checks only)")
    accuracy.add_argument("-o", "--output", type=Path, required=True, metavar="REPORT", help="JSON report to write")
    accuracy.set_defaults(func=run_accuracy)


def _add_motion_arguments(parser: argparse.ArgumentParser, motion_help: str) -> None:
    """--motion, --format and --mano-dir: motion files in the formats `hmp train-prior` reads."""
    parser.add_argument("--motion", type=Path, nargs="+", default=[], metavar="PATH", help=motion_help)
    parser.add_argument("--format", choices=tuple(SUFFIXES), default="motion-npz",
                        help="format of the --motion files (default: motion-npz, HMP Studio's motion file)")
    parser.add_argument("--mano-dir", metavar="DIR", help="MANO folder whose hands_mean / PCA arctic and relative "
                                                          "AMASS poses need (default: --hand-model when a folder)")


def _mano_dir(args: argparse.Namespace) -> str | None:
    """--mano-dir, else --hand-model when it names a folder."""
    hand_model = getattr(args, "hand_model", None)
    return args.mano_dir or (hand_model if hand_model and Path(hand_model).is_dir() else None)


def _motion_files(args: argparse.Namespace) -> list[Path]:
    """The --motion files, folders searched for the format's files; CommandError when something is missing."""
    try:
        files = data_files(args.motion, SUFFIXES[args.format])
    except DataError as error:
        raise CommandError(str(error)) from error
    if args.motion and not files:
        raise CommandError(f"no {SUFFIXES[args.format]} files in {', '.join(map(str, args.motion))}")
    return files


def write_report(report: dict, path: Path) -> None:
    """Write a JSON report, turning an OS error into a one-line command error."""
    try:
        path.write_text(json.dumps(report, indent=2) + "\n")
    except OSError as error:
        raise CommandError(f"cannot write '{path}': {error.strerror or error}") from error


def step_list(text: str) -> tuple[str, ...]:
    """The --steps value: comma-separated names of speed measurements."""
    steps = tuple(step.strip() for step in text.split(",") if step.strip())
    unknown = sorted(set(steps) - set(STEPS))
    if not steps or unknown:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(STEPS)}")
    return steps


def run_speed(args: argparse.Namespace) -> int:
    """Run the speed benchmark, write the report and print one line per measurement."""
    if args.frames is not None and args.frames < 1:
        raise CommandError("--frames must be at least 1")
    if args.iterations and min(args.iterations) < 0 or args.long_minutes <= 0:
        raise CommandError("--iterations takes 3 counts >= 0 and --long-minutes a positive length")
    options = FitOptions(args.device, tuple(args.iterations) if args.iterations else None, args.long_minutes)
    try:
        report = speed_report(args.video, args.frames, args.steps, options)
    except (VideoError, ValueError) as error:
        raise CommandError(str(error)) from error
    write_report(report, args.output)
    machine = report["machine"]
    print(f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    for name, measurement in report["measurements"].items():
        device = f" on {measurement['device']}" if "device" in measurement else ""
        print(f"{name}: {measurement['fps']:.1f} frames/s over {measurement['frames']} frames{device}")
    print(f"wrote {args.output}")
    return 0


def _checkpoint(args: argparse.Namespace) -> Path:
    """The prior checkpoint of --prior, else the bundled one; CommandError when there is no such file."""
    checkpoint = args.prior or default_prior_path()
    if not checkpoint.is_file():
        raise CommandError(f"no prior checkpoint at '{checkpoint}'")
    return checkpoint


def run_prior(args: argparse.Namespace) -> int:
    """Evaluate a prior checkpoint, write the report and print its tables."""
    checkpoint = _checkpoint(args)
    if args.motion_only and not args.motion:
        raise CommandError("--motion-only needs --motion files")
    try:
        motion = load_sequences(_motion_files(args), args.format, _mano_dir(args)) if args.motion else []
        report = prior_report(checkpoint, None if args.motion_only else args.video or sample_video(), motion)
    except (VideoError, DataError, MotionFileError, HandModelFileError) as error:
        raise CommandError(str(error)) from error
    write_report(report, args.output)
    print(markdown(report["sets"]))
    print(f"wrote {args.output}")
    return 0


def run_accuracy(args: argparse.Namespace) -> int:
    """Run the accuracy benchmark, write the report and print its table (and the tuning, when re-tuned)."""
    checkpoint = _checkpoint(args)
    if args.iterations and min(args.iterations) < 0:
        raise CommandError("--iterations takes 3 counts >= 0")
    if args.frames is not None and (args.frames < 3 or not args.motion):
        raise CommandError("--frames takes a count >= 3, with --motion files")
    hand_model = str(resolve_model_source(args.hand_model))
    try:
        load_hand_model(hand_model, "right")
        truths = ([recipe for path in _motion_files(args) for recipe in
                   file_recipes(path, hand_model, args.format, _mano_dir(args), args.frames)] if args.motion
                  else built_in_set("test"))
    except (HandModelFileError, MotionFileError, DataError) as error:
        raise CommandError(str(error)) from error
    iterations = tuple(args.iterations) if args.iterations else None
    config = AccuracyConfig(checkpoint, args.occlusion, tuple(args.methods), args.seed, hand_model,
                            workers=max(args.workers, 0), iterations=iterations)
    report = accuracy_report(truths, config, built_in_set("validation") if args.tune else None)
    write_report(report, args.output)
    if report["tuning"]:
        print(f"tuned on {', '.join(report['tuning']['sequences'])}: " + ", ".join(
            f"{group} {weight['name']}={weight['value']:g}" for group, weight in report["tuning"]["chosen"].items()))
    print(accuracy_markdown(report))
    print(f"{len(report['sequences'])} sequences, occlusion {args.occlusion}, seed {args.seed}, "
          f"{report['seconds']:.0f} s; wrote {args.output}")
    return 0
