"""The `hmp` command line: one sub-command module per engine task.

Each module in ``COMMAND_MODULES`` defines ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hmp_engine import __version__

COMMAND_MODULES: tuple[str, ...] = ("detect", "info", "bench", "train_prior", "fit", "render", "export", "batch")


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(prog="hmp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"hmp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"hmp_engine.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hmp` console script."""
    parser = build_parser()
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
