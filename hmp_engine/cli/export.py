"""`hmp export`: a fitted project's motion as .npz, AMASS-style .npz, FBX, glTF (.glb) or BVH, or its keypoints.

The format is --format, else the output's suffix (.npz, .fbx, .glb, .bvh, .csv/.json for keypoints). Options that
do not apply to the format (--up/--scale beyond fbx, glb and bvh; --vertices beyond npz; --fps for keypoints)
are refused rather than ignored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hmp_engine.cli import CommandError
from hmp_engine.cli.render import frame_range
from hmp_engine.cli.targets import check_output
from hmp_engine.export import ANIMATION_FORMATS, FORMATS, SUFFIX_FORMATS, ExportError, ExportOptions, export_project
from hmp_engine.export.skeleton import UP_AXES
from hmp_engine.hand_model import HandModelFileError, resolve_model_source
from hmp_engine.session import ProjectError, load_project


def hand_list(text: str) -> tuple[str, ...]:
    """'right,left' -> ('right', 'left'). Raises argparse.ArgumentTypeError for anything but right/left."""
    hands = tuple(part.strip() for part in text.split(",") if part.strip())
    if not hands or any(hand not in ("right", "left") for hand in hands) or len(set(hands)) < len(hands):
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of hands such as right,left")
    return hands


def positive(text: str) -> float:
    """A positive finite number. Raises argparse.ArgumentTypeError."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive number")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `export` sub-command."""
    parser = subparsers.add_parser("export", help="export a fitted project's motion (npz, amass, fbx, glb, bvh) "
                                                  "or its keypoints (csv, json)")
    parser.add_argument("project", type=Path, metavar="PROJECT", help="a fitted .hmp project")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="PATH", help="the file to write")
    parser.add_argument("--format", choices=FORMATS, help="default: from the output's suffix")
    parser.add_argument("--hands", type=hand_list, metavar="right,left", help="default: every fitted hand")
    parser.add_argument("--frames", type=frame_range, default=slice(None), metavar="A:B",
                        help="frames A to B-1, from 0 (default: all; out of range or negative: an error)")
    parser.add_argument("--fps", type=positive, metavar="N", help="resample to N frames/s by SLERP (default: "
                                                                  "the video's rate)")
    parser.add_argument("--up", choices=UP_AXES, help="up axis of fbx, glb and bvh (default: y)")
    parser.add_argument("--scale", type=positive, metavar="S", help="length unit of fbx, glb and bvh: metres "
                                                                    "times S (default 1; 100 for Unreal's cm)")
    parser.add_argument("--vertices", action="store_true", help="npz: also write the posed mesh vertices")
    parser.add_argument("--hand-model", metavar="open|DIR", help="the hand model the project was fitted with")
    parser.add_argument("--force", action="store_true", help="replace an output the write rule protects (an input, "
                                                             "a video, a project)")
    parser.set_defaults(func=run)


def export_kind(args: argparse.Namespace) -> str:
    """The format to write: --format, else the one the output's suffix implies; CommandError if neither."""
    kind = args.format or SUFFIX_FORMATS.get(args.output.suffix.lower())
    if kind is None:
        raise CommandError(f"cannot tell the format from '{args.output.name}': give --format "
                           f"({', '.join(FORMATS)})")
    motion_formats = tuple(name for name in FORMATS if name != "keypoints")
    for flag, given, formats in (("--up", args.up, ANIMATION_FORMATS), ("--scale", args.scale, ANIMATION_FORMATS),
                                 ("--vertices", args.vertices, ("npz",)), ("--fps", args.fps, motion_formats)):
        if given and kind not in formats:
            raise CommandError(f"{flag} does not apply to {kind} exports (only to {', '.join(formats)})")
    return kind


def run(args: argparse.Namespace) -> int:
    """Load the project, export it, say what was written."""
    kind = export_kind(args)
    options = ExportOptions(hands=args.hands, frames=args.frames, fps=args.fps, up=args.up or "y",
                            scale=args.scale or 1.0, vertices=args.vertices,
                            hand_model=resolve_model_source(args.hand_model))
    try:
        project = load_project(args.project)
        check_output(args.output, "file", force=args.force, inputs=[args.project], source_video=project.video.path)
        result = export_project(project, args.output, kind, options)
    except (ProjectError, ExportError, HandModelFileError) as error:
        raise CommandError(str(error)) from error
    print(f"wrote {result.path} ({result.kind}: {' and '.join(result.hands)} hand"
          f"{'s' if len(result.hands) > 1 else ''}, {result.num_frames} frames at {result.fps:g} fps)")
    return 0
