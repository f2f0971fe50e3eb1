"""`hmp bench`: measure the engine; `hmp bench speed` writes a JSON speed report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hmp_engine.bench.speed import speed_report
from hmp_engine.cli import CommandError
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


def run_speed(args: argparse.Namespace) -> int:
    """Run the speed benchmark, write the report and print one line per measurement."""
    if args.frames is not None and args.frames < 1:
        raise CommandError("--frames must be at least 1")
    try:
        report = speed_report(args.video, args.frames)
    except VideoError as error:
        raise CommandError(str(error)) from error
    try:
        args.output.write_text(json.dumps(report, indent=2) + "\n")
    except OSError as error:
        raise CommandError(f"cannot write '{args.output}': {error.strerror or error}") from error
    machine = report["machine"]
    print(f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    for name, measurement in report["measurements"].items():
        print(f"{name}: {measurement['fps']:.1f} frames/s over {measurement['frames']} frames")
    print(f"wrote {args.output}")
    return 0
