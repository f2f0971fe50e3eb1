"""Reading MANO-format model pickles into checked numpy arrays, the original chumpy files included.

The MANO website's files were written by Python 2 with `chumpy` arrays inside. We never import chumpy: the
restricted unpickler of `safe_pickle` reads them, and every chumpy array becomes the numpy array it computes.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from hmp_engine.hand_model.safe_pickle import RestrictedUnpickler, to_numpy

NUM_JOINTS = 16
POSE_BASIS = 9 * (NUM_JOINTS - 1)
MANO_TIP_VERTEX_IDS: tuple[int, ...] = (744, 320, 443, 554, 671)
"""Fingertip vertices (thumb, index, middle, ring, pinky) of the real MANO mesh."""


class HandModelFileError(ValueError):
    """A model file that cannot be used; the message names the file and what is wrong with it."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


def read_model_file(path: str | Path) -> dict[str, Any]:
    """Load a MANO-format pickle into a dict of numpy arrays, checked against the MANO layout."""
    path = Path(path)
    if not path.is_file():
        raise HandModelFileError(path, "file not found")
    try:
        with path.open("rb") as stream:
            data = RestrictedUnpickler(stream, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise HandModelFileError(path, f"not a readable MANO-format pickle ({error})") from error
    if not isinstance(data, dict):
        raise HandModelFileError(path, f"expected a dict of arrays, found {type(data).__name__}")
    try:
        data = {key: _converted(key, value) for key, value in data.items()}
    except ValueError as error:
        raise HandModelFileError(path, str(error)) from error
    _check_layout(path, data)
    return data


def _converted(key: str, value: Any) -> Any:
    """A value with chumpy arrays turned into numpy; a ValueError naming the key when one cannot be evaluated."""
    try:
        return to_numpy(value)
    except (ValueError, TypeError, IndexError) as error:
        raise ValueError(f"'{key}' is a chumpy expression that cannot be evaluated ({error})") from error


def _dense(array: Any) -> np.ndarray:
    """A dense numpy view of an array or a scipy sparse matrix."""
    return np.asarray(array.toarray() if hasattr(array, "toarray") else array)


def _check_layout(path: Path, data: dict[str, Any]) -> None:
    """Raise HandModelFileError unless every MANO key is present with consistent shapes."""
    required = ("v_template", "f", "J_regressor", "weights", "kintree_table", "shapedirs", "posedirs",
                "hands_components", "hands_mean")
    missing = [key for key in required if key not in data]
    if missing:
        raise HandModelFileError(path, f"missing MANO keys: {', '.join(missing)}")
    num_vertices = np.shape(data["v_template"])[0]
    expected = {
        "v_template": (num_vertices, 3),
        "J_regressor": (NUM_JOINTS, num_vertices),
        "weights": (num_vertices, NUM_JOINTS),
        "kintree_table": (2, NUM_JOINTS),
        "posedirs": (num_vertices, 3, POSE_BASIS),
        "hands_components": (45, 45),
        "hands_mean": (45,),
    }
    for key, shape in expected.items():
        if np.shape(data[key]) != shape:
            raise HandModelFileError(path, f"'{key}' has shape {np.shape(data[key])}, expected {shape}")
    shapedirs = np.shape(data["shapedirs"])
    if len(shapedirs) != 3 or shapedirs[:2] != (num_vertices, 3) or shapedirs[2] < 10:
        raise HandModelFileError(path, f"'shapedirs' has shape {shapedirs}, expected ({num_vertices}, 3, >=10)")
    faces = np.asarray(data["f"])
    if faces.ndim != 2 or faces.shape[1] != 3 or faces.min() < 0 or faces.max() >= num_vertices:
        raise HandModelFileError(path, "'f' is not an (F, 3) array of vertex indices")
    for key in ("v_template", "shapedirs", "weights"):
        if not np.all(np.isfinite(_dense(data[key]))):
            raise HandModelFileError(path, f"'{key}' holds NaN or infinite values")


def tip_vertex_ids(data: dict[str, Any]) -> tuple[int, ...]:
    """Fingertip vertex ids: stored in our open model files, the published MANO ids otherwise."""
    if "tip_vertex_ids" in data:
        return tuple(int(i) for i in data["tip_vertex_ids"])
    return MANO_TIP_VERTEX_IDS
