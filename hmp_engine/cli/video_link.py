"""The commands' side of the video check (`hmp_engine.session.video_identity`): the project's video must be the
one it was made from; ``--relink VIDEO`` points the project (saved) at the video's new place."""

from __future__ import annotations

import sys
from pathlib import Path

from hmp_engine.cli import CommandError
from hmp_engine.session import Project
from hmp_engine.session.video_identity import VideoMismatch, check_video, relink


def checked_video(project: Project, relink_to: Path | None) -> None:
    """Refuse (CommandError) a video that is not the project's; with ``relink_to``, relink and save the project.

    Raises VideoError for a missing or unreadable video, ProjectError when the relinked project cannot be saved.
    """
    try:
        if relink_to is None:
            check_video(project.video)
            return
        project.video = relink(project.video, relink_to)
    except VideoMismatch as error:
        raise CommandError(f"{error}; give the project's video with --relink VIDEO") from error
    project.save()
    print(f"relinked {project.path} to {project.video.path}", file=sys.stderr)
