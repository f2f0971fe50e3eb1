"""Where a hand model comes from: the bundled open model, or the user's own MANO files.

The MANO folder is taken, first match wins, from a command-line flag, the studio's settings, or the
`HMP_MANO_DIR` environment variable; without any of them the bundled open model ("open") is used.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import numpy as np

from hmp_engine.hand_model.model import HandModel
from hmp_engine.hand_model.model_file import HandModelFileError, read_model_file

OPEN_MODEL = "open"
MANO_DIR_ENV = "HMP_MANO_DIR"
MANO_FOLDER_LAYOUTS = ("", "models", "mano_v1_2/models", "mano")
"""Where a side's file may lie below the folder the user gave: the folder itself, the website's `mano_v1_2/`
(its `models/`), the folder holding `mano_v1_2/`, or a smplx-style model folder with `mano/`."""


def resolve_model_source(*choices: str | os.PathLike | None) -> str | Path:
    """The first given choice (flag, then settings), else $HMP_MANO_DIR, else the open model."""
    for choice in (*choices, os.environ.get(MANO_DIR_ENV)):
        if choice:
            return OPEN_MODEL if str(choice) == OPEN_MODEL else Path(choice).expanduser()
    return OPEN_MODEL


def open_model_file(side: str) -> Path:
    """Path of the bundled open-hand model file for one side."""
    return Path(str(files("hmp_resources") / "models" / f"open_hand_{side}.pkl"))


def model_file(source: str | os.PathLike, side: str) -> Path:
    """The model file for a side: bundled, MANO_RIGHT/LEFT.pkl in a folder as downloaded, or a file given directly."""
    if str(source) == OPEN_MODEL:
        return open_model_file(side)
    path = Path(source).expanduser()
    if path.is_dir():
        candidates = [Path(layout) / f"MANO_{side.upper()}.pkl" for layout in MANO_FOLDER_LAYOUTS]
        for candidate in candidates:
            if (path / candidate).is_file():
                return path / candidate
        looked_for = ", ".join(str(candidate) for candidate in candidates)
        raise HandModelFileError(path, f"no {side}-hand MANO file in this folder (looked for {looked_for})")
    if path.is_file():
        return path
    raise HandModelFileError(path, "no such MANO file or folder")


def load_hand_model(source: str | os.PathLike = OPEN_MODEL, side: str = "right") -> HandModel:
    """Load the hand model of one side from a source accepted by `model_file`."""
    path = model_file(source, side)
    data = read_model_file(path)
    if side == "left" and str(source) != OPEN_MODEL:
        right = path.with_name("MANO_RIGHT.pkl")
        if right.is_file():
            _fix_left_shapedirs(data, read_model_file(right))
    name = "open-hand" if str(source) == OPEN_MODEL else str(data.get("model_name", path.stem))
    return HandModel(data, side=side, name=name, path=path)


def _fix_left_shapedirs(left: dict, right: dict) -> None:
    """Mirror the x row of the left shape space when it was stored unmirrored.

    The published MANO_LEFT.pkl carries the right hand's x shape directions, so a shape widens the left hand
    the wrong way; a correctly mirrored file differs from the right one there and is left untouched.
    """
    left_x = np.asarray(left["shapedirs"])[:, 0, :]
    if np.abs(left_x - np.asarray(right["shapedirs"])[:, 0, :]).sum() < 1.0:
        shapedirs = np.array(left["shapedirs"], copy=True)
        shapedirs[:, 0, :] *= -1.0
        left["shapedirs"] = shapedirs
