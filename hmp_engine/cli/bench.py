"""`hmp bench`: measure the engine; `speed` and `prior` write JSON reports."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hmp_engine.bench.prior import prior_report
from hmp_engine.bench.speed import sample_video, speed_report
from hmp_engine.cli import CommandError
from hmp_engine.prior.evaluate import markdown
from hmp_engine.video import VideoError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `bench` sub-command and its `speed` benchmark."""
    parser = subparsers.add_parser("bench", help="measure speed (and later accuracy) of the engine")
    benchmarks = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    speed = benchmarks.add_parser("speed", help="frames per second of each step, with the machine description")
    speed.add_argument("--video", type=Path, help="input video (default: the bundled 720p sample)")
    speed.add_argument("--frames", type=int, metavar="N", help="measure on the first N frames only")
    speed.add_argument("-o", "--output", type=Path, required=True, metavar="REPORT", help="JSON report to write")
    speed.set_defaults(func=run_speed)
    prior = benchmarks.add_parser("prior", help="reconstruction and infilling of held-out motion by a prior")
    prior.add_argument("--prior", type=Path, help="checkpoint (default: the bundled default prior)")
    prior.add_argument("--video", type=Path, help="video whose lifted motion is evaluated (default: the sample)")
    prior.add_argument("-o", "--output", type=Path, required=True, metavar="REPORT", help="JSON report to write")
    prior.set_defaults(func=run_prior)


def write_report(report: dict, path: Path) -> None:
    """Write a JSON report, turning an OS error into a one-line command error."""
    try:
        path.write_text(json.dumps(report, indent=2) + "\n")
    except OSError as error:
        raise CommandError(f"cannot write '{path}': {error.strerror or error}") from error


def run_speed(args: argparse.Namespace) -> int:
    """Run the speed benchmark, write the report and print one line per measurement."""
    if args.frames is not None and args.frames < 1:
        raise CommandError("--frames must be at least 1")
    try:
        report = speed_report(args.video, args.frames)
    except VideoError as error:
        raise CommandError(str(error)) from error
    write_report(report, args.output)
    machine = report["machine"]
    print(f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    for name, measurement in report["measurements"].items():
        print(f"{name}: {measurement['fps']:.1f} frames/s over {measurement['frames']} frames")
    print(f"wrote {args.output}")
    return 0


def run_prior(args: argparse.Namespace) -> int:
    """Evaluate a prior checkpoint, write the report and print its tables."""
    from hmp_engine.fitting.fit import default_prior_path

    checkpoint = args.prior or default_prior_path()
    if not checkpoint.is_file():
        raise CommandError(f"no prior checkpoint at '{checkpoint}'")
    try:
        report = prior_report(checkpoint, args.video or sample_video())
    except VideoError as error:
        raise CommandError(str(error)) from error
    write_report(report, args.output)
    print(markdown(report["sets"]))
    print(f"wrote {args.output}")
    return 0
