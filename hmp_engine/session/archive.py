"""The ``.hmp`` file: a zip archive of ``manifest.json`` and ``arrays.npz``, read and written whole.

``manifest.json`` holds the schema version, app version, created/modified times, video reference, detection
settings and track metadata, edit lists, fit metadata and weights; ``arrays.npz`` every array, under sorted keys,
written with fixed zip timestamps so that re-saving an unchanged project gives a bit-identical ``arrays.npz``.
Older schema versions are upgraded on load by ``MIGRATIONS``; a newer schema version is refused. Saving writes a
temp file in the target folder, fsyncs it and renames it over the target, so a failed save leaves the previous
file intact; it refuses to overwrite a file that is not a project this version can read.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from hmp_engine import __version__
from hmp_engine.atomic import write_bytes_atomic
from hmp_engine.session.checks import check_contents
from hmp_engine.session.migrations import MIGRATIONS
from hmp_engine.session.model import Project, ProjectError
from hmp_engine.session.ownership import FileStamp, check_unchanged, locked
from hmp_engine.session.schema import SCHEMA_VERSION, deserialise, serialise
from hmp_engine.write_rule import same_file

MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: identical content gives identical bytes


def load_project(path: str | os.PathLike) -> Project:
    """Read a ``.hmp`` file, upgrading older schema versions. Raises ProjectError."""
    path = Path(path)
    manifest, arrays, stamp = _read_archive(path)
    version = _schema_version(manifest, path)
    try:
        for step in range(version, SCHEMA_VERSION):
            manifest, arrays = MIGRATIONS[step](manifest, arrays)
        check_contents(manifest, arrays)
        project = deserialise(manifest, arrays)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ProjectError) as error:
        raise _damaged(path, _describe(error)) from error
    project.path, project.file_stamp = path, stamp
    return project


def write_project(project: Project, target: Path, modified: str) -> FileStamp:
    """Write ``project`` atomically to ``target`` with this modification time; returns the written file's stamp.

    Under a lock on ``target``, a save to the project's own file first checks nobody else changed it since it
    was loaded or saved (ProjectChanged). Raises ProjectError.
    """
    manifest, arrays = serialise(project, modified)
    try:
        data = _archive_bytes(manifest, arrays)
    except (TypeError, ValueError) as error:
        raise ProjectError(f"Cannot save project to '{target}': {error} (weights and metadata must be JSON)") from error
    with locked(target):
        if target.exists():
            _check_overwritable(target)
        if project.path is not None and project.file_stamp is not None and same_file(target, project.path):
            check_unchanged(target, project.file_stamp)
        _atomic_write(target, data)
    return FileStamp.of_bytes(data)


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A deterministic .npz: members in sorted key order, fixed timestamps, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as npz:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            npz.writestr(info, member.getvalue())
    return buffer.getvalue()


def _archive_bytes(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """The whole .hmp file: the manifest as indented JSON and the arrays as a stored .npz."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        manifest_info = zipfile.ZipInfo(MANIFEST, date_time=_ZIP_TIME)
        manifest_info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(manifest_info, json.dumps(manifest, indent=2, allow_nan=False).encode())
        archive.writestr(zipfile.ZipInfo(ARRAYS, date_time=_ZIP_TIME), _npz_bytes(arrays))
    return buffer.getvalue()


def _atomic_write(target: Path, data: bytes) -> None:
    """Replace ``target`` by ``data`` via a fsynced temp file in the same folder; nothing changes on failure."""
    try:
        write_bytes_atomic(target, data)
    except OSError as error:
        raise ProjectError(f"Cannot save project to '{target}': {_describe(error)}") from error


def _read_archive(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray], FileStamp]:
    """Manifest, arrays and stamp of a .hmp file, each failure turned into a ProjectError naming the problem."""
    try:
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            missing = [member for member in (MANIFEST, ARRAYS) if member not in archive.namelist()]
            if missing:
                raise _damaged(path, f"it has no {missing[0]}")
            manifest_bytes, arrays_bytes = archive.read(MANIFEST), archive.read(ARRAYS)
    except FileNotFoundError as error:
        raise ProjectError(f"Cannot open project '{path}': no such file") from error
    except OSError as error:
        raise ProjectError(f"Cannot open project '{path}': {_describe(error)}") from error
    except _DAMAGED_ZIP as error:
        raise _damaged(path, f"bad zip: {_describe(error)}") from error
    try:
        manifest = json.loads(manifest_bytes)
    except (ValueError, RecursionError) as error:
        raise _damaged(path, f"{MANIFEST} is not valid JSON ({_describe(error)})") from error
    if not isinstance(manifest, dict):
        raise _damaged(path, f"{MANIFEST} is not a JSON object")
    if not zipfile.is_zipfile(io.BytesIO(arrays_bytes)):
        raise _damaged(path, f"{ARRAYS} is not an .npz archive")
    try:
        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, *_DAMAGED_ZIP) as error:
        raise _damaged(path, f"{ARRAYS} cannot be read ({_describe(error)})") from error
    return manifest, arrays, FileStamp.of_bytes(data)


_DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError)
"""What reading a damaged zip member can raise (bad header, bad deflate stream, cut short, unknown method)."""


def _damaged(path: Path, reason: str) -> ProjectError:
    """The one-line error of a file that is damaged or not a project at all."""
    return ProjectError(f"Project file '{path}' is damaged or not a project: {reason}")


def _schema_version(manifest: dict[str, Any], path: Path) -> int:
    """The manifest's schema version; ProjectError if absent or newer than this version of the app reads."""
    version = manifest.get("schema_version", manifest.get("version"))
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise _damaged(path, "its manifest has no schema version")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"Project file '{path}' uses schema version {version}, newer than the {SCHEMA_VERSION} this "
            f"HMP Studio {__version__} can read: update HMP Studio to open it"
        )
    return version


def _check_overwritable(path: Path) -> None:
    """Refuse to replace a file that is not a project this version can read (it might be someone's data)."""
    try:
        load_project(path)
    except ProjectError as error:
        reason = f"it is not a project this version can read ({error})"
        raise ProjectError(f"Refusing to overwrite '{path}': {reason}") from error


def _describe(error: BaseException) -> str:
    """Short reason of an exception for a one-line message."""
    if isinstance(error, KeyError):
        return f"missing entry {error.args[0]!r}"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text.splitlines()[0] if text.strip() else type(error).__name__
