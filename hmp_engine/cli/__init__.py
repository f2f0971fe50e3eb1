"""The `hmp` command line: one sub-command module per engine task.

Each module named in ``COMMANDS`` defines ``register(subparsers)``, which adds its parser and sets ``func`` to a
callable taking the parsed arguments and returning an exit status. Only the module of the sub-command being
run is imported (the others pull in torch, MediaPipe or a renderer): the rest are listed by name and summary,
so ``hmp --help``, ``hmp --version`` and ``hmp info`` answer at once.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hmp_engine import __version__

#: Sub-command name -> (module under ``hmp_engine.cli``, the one-line summary ``hmp --help`` lists).
COMMANDS: dict[str, tuple[str, str]] = {
    "detect": ("detect", "detect hand keypoints in a video and write a project"),
    "info": ("info", "print a summary of a project file or of a batch's folder"),
    "bench": ("bench", "measure the speed and accuracy of the engine and its prior"),
    "train-prior": ("train_prior", "train the hand motion prior (VAE) and write a checkpoint"),
    "fit": ("fit", "fit 3D hand motion to a project's (or a video's) keypoints"),
    "render": ("render", "render the fitted hands over the video into an mp4"),
    "export": ("export",
               "export a fitted project's motion (npz, amass, fbx, glb, bvh) or its keypoints (csv, json)"),
    "batch": ("batch", "detect, fit and export many videos, resumable, on this machine or a Ray cluster"),
}


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1, no traceback."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``command``'s module registers its full parser, the others are listed by summary."""
    parser = argparse.ArgumentParser(prog="hmp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"hmp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        if name == command:
            importlib.import_module(f"{__name__}.{module}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def requested_command(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names: its first argument that is not an option, if it is a known command."""
    first = next((argument for argument in argv if not argument.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hmp` console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(requested_command(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CommandError as error:
        print(f"hmp {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"hmp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
