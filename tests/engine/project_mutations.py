"""Damaged variants of a project file, for the loader's fuzz test and `tools/fuzz_projects.py`.

A mutation replaces one manifest entry by another JSON value, damages one array (shorter, reshaped, strings,
NaN, another dtype), drops an entry, or flips bytes of the file itself (a damaged compressed manifest among
them). Mutations are plain data, so hypothesis can draw them and a seeded `random.Random` can too.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import traceback
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

JSON_VALUES: tuple[Any, ...] = (None, True, False, 0, -5, 1, 2, 10**12, -1.5, 0.0, 1e308, float("nan"),
                                float("inf"), "", "right", "left", "x", "position", [], [0], [1, 2], [-1, 2, 3],
                                {}, {"a": 1}, [[0, 0, 1.0, 2.0, "position"]], [[9999, 0, 1.0, 2.0, "bogus"]])
ARRAY_DAMAGE = ("shorter", "longer", "flatten", "strings", "nan", "int", "float32", "empty", "reverse", "drop")


@dataclass(frozen=True)
class Mutation:
    """One damage: ``kind`` is 'set' (manifest ``path`` := value), 'drop' (remove it), 'array' (damage array
    ``path[0]`` as ``value`` says) or 'bytes' (xor the file's byte at offset ``value`` with 0xff, ``path[0]`` times
    from there)."""

    kind: str
    path: tuple[Any, ...]
    value: Any = None


def read_members(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest and arrays of a project file."""
    with zipfile.ZipFile(path) as archive, np.load(io.BytesIO(archive.read("arrays.npz"))) as npz:
        return json.loads(archive.read("manifest.json")), {key: npz[key] for key in npz.files}


def manifest_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every entry of a JSON value (keys and list indices), outermost first."""
    paths = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        paths.extend(manifest_paths(child, (*prefix, key)))
    return paths


def apply(mutation: Mutation, project: Path, target: Path) -> None:
    """Write ``project`` damaged by ``mutation`` to ``target``."""
    if mutation.kind == "bytes":
        data = bytearray(project.read_bytes())
        for offset in range(mutation.value, min(len(data), mutation.value + mutation.path[0])):
            data[offset] ^= 0xFF
        target.write_bytes(bytes(data))
        return
    manifest, arrays = read_members(project)
    if mutation.kind == "array":
        _damage_array(arrays, mutation.path[0], mutation.value)
    else:
        *parents, last = mutation.path
        node = manifest
        for key in parents:
            node = node[key]
        if mutation.kind == "drop":
            del node[last]
        else:
            node[last] = mutation.value
    _write(manifest, arrays, target)


def random_mutation(rng: random.Random, project: Path) -> Mutation:
    """A mutation of ``project`` drawn by ``rng``."""
    manifest, arrays = read_members(project)
    kind = rng.choice(("set", "set", "drop", "array", "array", "bytes"))
    if kind == "bytes":
        return Mutation("bytes", (rng.choice((1, 1, 4, 64)),), rng.randrange(project.stat().st_size))
    if kind == "array":
        return Mutation("array", (rng.choice(sorted(arrays)),), rng.choice(ARRAY_DAMAGE))
    path = rng.choice(manifest_paths(manifest))
    return Mutation(kind, path, rng.choice(JSON_VALUES) if kind == "set" else None)


def _damage_array(arrays: dict[str, np.ndarray], key: str, how: str) -> None:
    """Damage ``arrays[key]`` in place as ``how`` (one of ARRAY_DAMAGE) says."""
    array = arrays[key]
    if how == "drop":
        del arrays[key]
        return
    arrays[key] = {
        "shorter": lambda: array[: max(len(array) // 2, 0)] if array.ndim else array.reshape(1),
        "longer": lambda: np.concatenate([array, array]) if array.ndim else array.reshape(1),
        "flatten": lambda: array.reshape(-1),
        "strings": lambda: array.astype(str),
        "nan": lambda: np.full(array.shape, np.nan),
        "int": lambda: array.astype(np.int64),
        "float32": lambda: array.astype(np.float32),
        "empty": lambda: np.zeros((0, *array.shape[1:]), array.dtype),
        "reverse": lambda: array[::-1].copy() if array.ndim else array,
    }[how]()


def _write(manifest: dict[str, Any], arrays: dict[str, np.ndarray], target: Path) -> None:
    """A project file of this manifest (JSON with NaN/Infinity allowed, as a damaged file may hold) and arrays."""
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("arrays.npz", npz.getvalue())


def command_problems(project: Path, folder: Path) -> list[str]:
    """Run `hmp info` and `hmp export` (npz and keypoints) on ``project``; the ways they broke the promise: an
    exception other than a one-line error, a message of several lines, or a changed input file."""
    from hmp_engine.cli import main  # imported here: the mutations themselves need no engine

    before = project.read_bytes()
    problems = []
    for argv in (["info", str(project)], ["export", str(project), "-o", str(folder / "motion.npz")],
                 ["export", str(project), "-o", str(folder / "keypoints.csv")]):
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
                status = main(argv)
        except Exception:  # noqa: BLE001 - any escape is what the fuzzing looks for
            problems.append(f"{argv[0]}: {traceback.format_exc()}")
            continue
        lines = stderr.getvalue().strip().splitlines()
        if status not in (0, 1) or (status == 1 and len(lines) != 1):
            problems.append(f"{argv[0]}: exit {status}, stderr {stderr.getvalue()!r}")
    if project.read_bytes() != before:
        problems.append("the input file changed")
    return problems
