"""`hmp render`: the overlay video of a fitted project (meshes, and optionally keypoints and joints) as an mp4."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hmp_engine.cli import CommandError
from hmp_engine.cli.targets import check_output
from hmp_engine.cli.video_link import checked_video
from hmp_engine.hand_model import HandModelFileError, resolve_model_source
from hmp_engine.progress import TerminalProgress
from hmp_engine.render import OverlayOptions, RenderError, fit_models, write_overlay_video
from hmp_engine.session import ProjectError, load_project
from hmp_engine.video import VideoError


def frame_range(text: str) -> slice:
    """'A:B' -> slice(A, B); either end may be left out ('A:', ':B'). Raises argparse.ArgumentTypeError.

    The range is checked against the project by `hmp_engine.frame_span` (from 0, no negatives, never clamped).
    """
    start, colon, stop = text.partition(":")
    try:
        if not colon:
            raise ValueError
        return slice(int(start) if start else None, int(stop) if stop else None)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a frame range A:B (B excluded; either may be left out)") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `render` sub-command."""
    parser = subparsers.add_parser("render", help="render the fitted hands over the video into an mp4")
    parser.add_argument("project", type=Path, metavar="PROJECT", help="a fitted .hmp project")
    parser.add_argument("-o", "--output", type=Path, metavar="MP4", help="default: PROJECT stem + _overlay.mp4")
    parser.add_argument("--frames", type=frame_range, default=slice(None), metavar="A:B",
                        help="frames A to B-1, from 0 (default: every frame the fit covers; out of range or "
                             "negative: an error)")
    parser.add_argument("--no-mesh", action="store_true", help="leave the hand meshes out")
    parser.add_argument("--keypoints", action="store_true", help="draw the detected keypoints (with edits)")
    parser.add_argument("--joints", action="store_true", help="draw the fitted joints reprojected")
    parser.add_argument("--hand-model", metavar="open|DIR", help="the hand model the project was fitted with")
    parser.add_argument("--relink", type=Path, metavar="VIDEO",
                        help="the project's video has moved (or was re-encoded with the same frames): use VIDEO "
                             "and save the project pointing at it")
    parser.add_argument("--force", action="store_true", help="replace an output the write rule protects (an input, "
                                                             "a video, a project)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the project and its hand models, write the overlay video atomically, say what was written."""
    output = args.output or args.project.with_name(f"{args.project.stem}_overlay.mp4")
    options = OverlayOptions(mesh=not args.no_mesh, keypoints=args.keypoints, joints=args.joints)
    try:
        project = load_project(args.project)
        checked_video(project, args.relink)
        check_output(output, "video", force=args.force, inputs=[args.project], source_video=project.video.path)
        models = fit_models(project, resolve_model_source(args.hand_model))
        frames = write_overlay_video(project, models, output, args.frames, options, TerminalProgress(sys.stderr))
    except (ProjectError, RenderError, VideoError, HandModelFileError) as error:
        raise CommandError(str(error)) from error
    except OSError as error:
        raise CommandError(f"cannot write '{output}': {error.strerror or error}") from error
    print(f"wrote {output} (frames {frames.start}:{frames.stop}, {project.video.fps:g} fps)")
    return 0
