"""`hmp detect`: find the hands in a video and write a new project with their keypoint tracks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hmp_engine.cli import CommandError
from hmp_engine.cli.targets import check_output
from hmp_engine.detection import CONFIDENCE_MODES, detect_video
from hmp_engine.progress import TerminalProgress
from hmp_engine.session import Project, ProjectError, VideoRef
from hmp_engine.video import VideoError, VideoReader, open_video


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `detect` sub-command."""
    parser = subparsers.add_parser("detect", help="detect hand keypoints in a video and write a project")
    parser.add_argument("video", type=Path, help="video file or image folder")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="PROJECT", help="project to write (default: VIDEO stem + .hmp beside it)"
    )
    parser.add_argument(
        "--max-hands", type=int, default=2, choices=range(1, 5), metavar="N", help="most hands per frame (1-4)"
    )
    parser.add_argument(
        "--confidence",
        choices=CONFIDENCE_MODES,
        default="fast",
        help="per-joint confidence: fast (default) or augmented (several times slower)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing project (its edits are lost)")
    parser.set_defaults(func=run)


def default_output(video: Path) -> Path:
    """VIDEO stem + .hmp in the video's folder (for an image folder: beside the folder)."""
    return video.with_name(video.name if video.is_dir() else video.stem).with_suffix(".hmp")


def warn_if_cut_short(video: VideoReader) -> None:
    """Say when the container states more frames than the file holds (a cut-short download or copy)."""
    if video.declared_frames is not None and video.declared_frames > video.num_frames:
        print(f"warning: '{video.path}' states {video.declared_frames} frames but only {video.num_frames} can be "
              f"read (the file looks cut short); the project covers those {video.num_frames}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Detect, then write the project only if at least one hand was found."""
    output = args.output or default_output(args.video)
    if output.exists() and not args.force:
        raise CommandError(f"'{output}' already exists; use --force to replace it or -o to choose another file")
    check_output(output, "project", force=args.force, inputs=[args.video])  # read-only, a folder: before detecting
    try:
        with open_video(args.video) as video:
            warn_if_cut_short(video)
            result = detect_video(video, args.max_hands, args.confidence, progress=TerminalProgress(sys.stderr))
        if not result.tracks:
            raise CommandError(
                f"no hand found in any of the {result.num_frames} frames of '{args.video}'; no project written"
            )
        Project(VideoRef.from_file(args.video), result).save(output)
    except (VideoError, ProjectError) as error:
        raise CommandError(str(error)) from error
    hands = ", ".join(f"{track.handedness} {track.detected_fraction:.0%}" for track in result.tracks)
    print(f"wrote {output}: {len(result.tracks)} hand track(s) over {result.num_frames} frames ({hands} detected)")
    return 0
