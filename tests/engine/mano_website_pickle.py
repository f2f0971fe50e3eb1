"""Writes MANO files laid out like the MANO website's originals, from the open hand model's arrays (test support).

The website's `MANO_RIGHT.pkl` / `MANO_LEFT.pkl` were pickled by Python 2 (protocol 2) with chumpy inside. Nothing
of them is committed: this writer emits the same opcodes Python 2's pickler wrote, so the files carry what the
originals carry: Python 2 names (`__builtin__.set`, `numpy.core.multiarray._reconstruct`, the old
`scipy.sparse.csc` path), Python 2 byte strings (`SHORT_BINSTRING` / `BINSTRING`), memo references, a sparse
`J_regressor`, and `shapedirs` as a chumpy `Select` of the first 10 of 20 shape directions held by a `Ch`, whose
state holds sets, dicts and lists. Objects are written the protocol 2 way (`NEWOBJ`) or, as Python 2 wrote them
for protocols 0 and 1, through `copy_reg._reconstructor`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from hmp_engine.hand_model import read_model_file
from hmp_engine.hand_model.sources import open_model_file

WEBSITE_KEY_ORDER = ("hands_components", "f", "J_regressor", "kintree_table", "J", "bs_style", "hands_coeffs",
                     "weights", "posedirs", "hands_mean", "v_template", "shapedirs", "bs_type")
"""The website files' keys, in the order Python 2's dict wrote them."""


@dataclass
class Python2Object:
    """An instance of a Python 2 class by its module path, with the state its pickle carries."""

    module: str
    name: str
    state: dict


class Python2Pickler:
    """Emits protocol 2 opcodes as Python 2's cPickle did.

    A str becomes a byte string, a set `__builtin__.set([...])`, a numpy array `_reconstruct` plus raw bytes;
    everything but numbers is memoised, strings and globals reused through BINGET.
    """

    def __init__(self, objects: str = "newobj") -> None:
        if objects not in ("newobj", "reconstructor"):
            raise ValueError(objects)
        self.objects = objects
        self.out = bytearray(b"\x80\x02")
        self.memo: dict[Any, int] = {}

    def dumps(self, value: Any) -> bytes:
        """The whole pickle of one value."""
        self.save(value)
        return bytes(self.out + b".")

    def _put(self, key: Any = None) -> None:
        index = len(self.memo)
        self.memo[key if key is not None else ("anonymous", index)] = index
        self.out += b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index)

    def _get(self, key: Any) -> bool:
        if key not in self.memo:
            return False
        index = self.memo[key]
        self.out += b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)
        return True

    def save_global(self, module: str, name: str) -> None:
        """A module-level name, e.g. ``__builtin__ set``."""
        if not self._get(("global", module, name)):
            self.out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"
            self._put(("global", module, name))

    def save_bytes(self, data: bytes) -> None:
        """A Python 2 ``str`` (bytes): SHORT_BINSTRING or BINSTRING."""
        if self._get(("str", data)):
            return
        if len(data) < 256:
            self.out += b"U" + bytes([len(data)]) + data
        else:
            self.out += b"T" + struct.pack("<i", len(data)) + data
        self._put(("str", data))

    def save_int(self, value: int) -> None:
        """BININT1 / BININT2 / BININT, as Python 2 wrote an int."""
        if 0 <= value < 256:
            self.out += b"K" + bytes([value])
        elif 0 <= value < 65536:
            self.out += b"M" + struct.pack("<H", value)
        else:
            self.out += b"J" + struct.pack("<i", value)

    def save_tuple(self, items: tuple) -> None:
        """EMPTY_TUPLE, TUPLE1-3, or MARK ... TUPLE."""
        if not items:
            self.out += b")"
            return
        if len(items) > 3:
            self.out += b"("
        for item in items:
            self.save(item)
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(items), b"t")
        self._put()

    def save_list(self, items: list) -> None:
        """EMPTY_LIST, then MARK ... APPENDS."""
        self.out += b"]"
        self._put()
        if items:
            self.out += b"("
            for item in items:
                self.save(item)
            self.out += b"e"

    def save_dict(self, items: dict) -> None:
        """EMPTY_DICT, then MARK key value ... SETITEMS."""
        self.out += b"}"
        self._put()
        if items:
            self.out += b"("
            for key, item in items.items():
                self.save(key)
                self.save(item)
            self.out += b"u"

    def save_set(self, items: set) -> None:
        """Python 2's ``set.__reduce__``: ``__builtin__.set([items])``."""
        self.save_global("__builtin__", "set")
        self.save_list(sorted(items))
        self.out += b"\x85R"
        self._put()

    def save_dtype(self, dtype: np.dtype) -> None:
        """Python 2 numpy's ``dtype.__reduce__``: ``dtype('f8', 0, 1)`` and its version 3 state."""
        self.save_global("numpy", "dtype")
        self.save_tuple((dtype.str[1:], 0, 1))
        self.out += b"R"
        self._put()
        self.save_tuple((3, dtype.str[0], None, None, None, -1, -1, 0))
        self.out += b"b"

    def save_array(self, array: np.ndarray) -> None:
        """Python 2 numpy's ``ndarray.__reduce__``: ``_reconstruct(ndarray, (0,), 'b')`` and the raw bytes."""
        array = np.ascontiguousarray(array)
        self.save_global("numpy.core.multiarray", "_reconstruct")
        self.save_global("numpy", "ndarray")
        self.save_tuple((0,))
        self.save_bytes(b"b")
        self.out += b"\x87R"
        self._put()
        self.out += b"("
        self.save_int(1)
        self.save_tuple(tuple(array.shape))
        self.save_dtype(array.dtype)
        self.out += b"\x89"  # not Fortran-ordered
        self.save_bytes(array.tobytes())
        self.out += b"tb"

    def save_object(self, obj: Python2Object) -> None:
        """A new-style instance: NEWOBJ (protocol 2) or ``copy_reg._reconstructor`` (protocols 0/1), then BUILD."""
        if self.objects == "newobj":
            self.save_global(obj.module, obj.name)
            self.out += b")\x81"
        else:
            self.save_global("copy_reg", "_reconstructor")
            self.save_global(obj.module, obj.name)
            self.save_global("__builtin__", "object")
            self.out += b"N\x87R"
        self._put()
        self.save_dict(obj.state)
        self.out += b"b"

    def save(self, value: Any) -> None:
        """Any value of a MANO file."""
        if value is None:
            self.out += b"N"
        elif isinstance(value, bool):
            self.out += b"\x88" if value else b"\x89"
        elif isinstance(value, int):
            self.save_int(value)
        elif isinstance(value, float):
            self.out += b"G" + struct.pack(">d", value)
        elif isinstance(value, str):
            self.save_bytes(value.encode("latin1"))
        elif isinstance(value, tuple):
            self.save_tuple(value)
        elif isinstance(value, list):
            self.save_list(value)
        elif isinstance(value, set):
            self.save_set(value)
        elif isinstance(value, dict):
            self.save_dict(value)
        elif isinstance(value, np.ndarray):
            self.save_array(value)
        elif isinstance(value, Python2Object):
            self.save_object(value)
        else:
            raise TypeError(f"no Python 2 layout for {type(value).__name__}")


def chumpy_state(**terms: Any) -> dict:
    """The state chumpy's ``Ch.__getstate__`` keeps of a node: its terms and bookkeeping.

    ``_parents`` and ``_cache`` are dropped; ``_dirty_vars`` is a set of term names.
    """
    return {"_dirty_vars": set(terms), "_itr": None, "_depends_on_deps": {}, "_make_dense": False,
            "_make_sparse": False, **terms}


def ch(array: np.ndarray) -> Python2Object:
    """A ``chumpy.ch.Ch`` holding an array."""
    return Python2Object("chumpy.ch", "Ch", chumpy_state(x=np.asarray(array, dtype=np.float64)))


def select_first(array: np.ndarray, count: int) -> Python2Object:
    """``ch[:, :, :count]`` as chumpy pickles it: a ``chumpy.reordering.Select`` of flat indices into a ``Ch``."""
    indices = np.arange(array.size).reshape(array.shape)[..., :count]
    return Python2Object("chumpy.reordering", "Select", chumpy_state(
        a=ch(array), idxs=indices.ravel().astype(np.int64), preferred_shape=tuple(indices.shape)))


def csc(matrix: np.ndarray) -> Python2Object:
    """A scipy ``csc_matrix`` by its Python 2 module path, with old scipy's instance state."""
    sparse = scipy.sparse.csc_matrix(matrix)
    return Python2Object("scipy.sparse.csc", "csc_matrix", {
        "indices": sparse.indices.astype(np.int32), "data": sparse.data, "maxprint": 50,
        "_shape": tuple(sparse.shape), "indptr": sparse.indptr.astype(np.int32)})


def website_layout(data: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """A MANO-format dict (plain numpy) laid out as the website files are: keys, order, types and chumpy nodes.

    ``shapedirs`` becomes a ``Select`` of the first 10 of 20 directions (the other 10 are noise the reader must
    leave out); ``J`` (rest joints) and ``hands_coeffs`` (PCA coefficients) are made when the dict has none."""
    rng = np.random.default_rng(seed)
    shapedirs = np.asarray(data["shapedirs"], dtype=np.float64)[..., :10]
    extra = rng.normal(0.0, 0.01, shapedirs.shape)
    regressor = np.asarray(data["J_regressor"].toarray() if hasattr(data["J_regressor"], "toarray")
                           else data["J_regressor"], dtype=np.float64)
    website = {
        "hands_components": np.asarray(data["hands_components"], dtype=np.float64),
        "f": np.asarray(data["f"], dtype=np.uint32),
        "J_regressor": csc(regressor),
        "kintree_table": np.asarray(data["kintree_table"], dtype=np.int64),
        "J": np.asarray(data.get("J", regressor @ np.asarray(data["v_template"])), dtype=np.float64),
        "bs_style": "lbs",
        "hands_coeffs": np.asarray(data.get("hands_coeffs", rng.normal(0.0, 1.0, (64, 45))), dtype=np.float64),
        "weights": np.asarray(data["weights"], dtype=np.float64),
        "posedirs": np.asarray(data["posedirs"], dtype=np.float64),
        "hands_mean": np.asarray(data["hands_mean"], dtype=np.float64),
        "v_template": np.asarray(data["v_template"], dtype=np.float64),
        "shapedirs": select_first(np.concatenate([shapedirs, extra], axis=2), 10),
        "bs_type": "lrotmin",
    }
    return {key: website[key] for key in WEBSITE_KEY_ORDER}


def write_website_file(path: Path, data: dict[str, Any], objects: str = "newobj") -> Path:
    """Write a MANO-format dict as a website-style Python 2 chumpy pickle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(Python2Pickler(objects).dumps(website_layout(data)))
    return path


def write_website_download(root: Path, objects: str = "newobj", hands_mean_seed: int | None = None) -> Path:
    """Write ``root/mano_v1_2/models/MANO_{RIGHT,LEFT}.pkl`` from the open hand model; return ``root/mano_v1_2``.

    With a seed, ``hands_mean`` is a random non-zero pose (the open model's is zero).
    """
    for side in ("right", "left"):
        data = read_model_file(open_model_file(side))
        if hands_mean_seed is not None:
            data["hands_mean"] = np.random.default_rng(hands_mean_seed).normal(0.0, 0.2, 45)
        write_website_file(root / "mano_v1_2" / "models" / f"MANO_{side.upper()}.pkl", data, objects)
    return root / "mano_v1_2"
