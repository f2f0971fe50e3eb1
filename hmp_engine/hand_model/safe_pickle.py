"""A restricted unpickler for MANO-format files, the Python 2 originals with chumpy objects inside included.

The MANO website's files were pickled by Python 2 with chumpy arrays in them: module names such as `__builtin__`
and `copy_reg`, scipy's old `scipy.sparse.csc` path, and chumpy nodes (`shapedirs` is a `Select` of a `Ch`)
whose state carries sets, dicts and lists. A name is first translated the way `pickle.Unpickler(fix_imports=True)`
translates Python 2 names (`_compat_pickle`), then resolved only from an allow-list: numpy's array reconstruction,
scipy sparse matrices, a few inert builtins, and the chumpy node types evaluated here without chumpy. Anything
else is refused, so a pickle cannot run code.
"""

from __future__ import annotations

import _compat_pickle
import copyreg
import importlib
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse

MAX_CHUMPY_DEPTH = 32
"""Deepest chumpy expression evaluated; deeper (or cyclic) graphs are refused."""

_NUMPY_NAMES = {"_reconstruct", "scalar", "ndarray", "dtype", "_frombuffer"}
_SPARSE_NAMES = {"csc_matrix", "csr_matrix", "coo_matrix", "csc_array", "csr_array", "coo_array"}
_PLAIN_GLOBALS = {("_codecs", "encode"), ("builtins", "object"), ("builtins", "set"), ("builtins", "frozenset"),
                  ("builtins", "slice"), ("builtins", "complex")}


class ChumpyNode:
    """Stands in for one chumpy class while unpickling: keeps the pickled state and evaluates it without chumpy."""

    kind = "chumpy"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.state: dict = {}

    def __setstate__(self, state: Any) -> None:
        self.state = state if isinstance(state, dict) else {}

    def given(self, name: str) -> Any:
        """One of the node's pickled terms as stored; ValueError when the node has none of that name."""
        if name not in self.state:
            raise ValueError(f"{self.kind} without its '{name}'")
        return self.state[name]

    def term(self, name: str, depth: int) -> np.ndarray:
        """The evaluated array of one of the node's terms (a chumpy node or a plain value)."""
        return np.asarray(to_numpy(self.given(name), depth + 1))

    def value(self, depth: int = 0) -> np.ndarray:
        """The array this node computes, as chumpy's `compute_r` would."""
        if depth > MAX_CHUMPY_DEPTH:
            raise ValueError(f"chumpy expression nested deeper than {MAX_CHUMPY_DEPTH}")
        return np.asarray(_CHUMPY_EVALUATORS[self.kind](self, depth))


def _select(node: ChumpyNode, depth: int) -> np.ndarray:
    """`chumpy.reordering.Select`: a.ravel()[idxs], reshaped to the preferred shape when it has one."""
    selected = node.term("a", depth).ravel()[np.asarray(node.given("idxs"), dtype=np.int64)]
    shape = node.state.get("preferred_shape")
    return selected if shape is None else selected.reshape(tuple(shape))


_CHUMPY_EVALUATORS: dict[str, Callable[[ChumpyNode, int], Any]] = {
    "chumpy.ch.Ch": lambda node, depth: node.term("x", depth),
    "chumpy.reordering.Select": _select,
    "chumpy.reordering.Reshape": lambda node, depth: node.term("a", depth).reshape(node.given("newshape")),
    "chumpy.reordering.transpose": lambda node, depth: np.transpose(node.term("a", depth), node.state.get("axes")),
    "chumpy.ch_ops.add": lambda node, depth: node.term("a", depth) + node.term("b", depth),
    "chumpy.ch_ops.subtract": lambda node, depth: node.term("a", depth) - node.term("b", depth),
    "chumpy.ch_ops.multiply": lambda node, depth: node.term("a", depth) * node.term("b", depth),
    "chumpy.ch_ops.divide": lambda node, depth: node.term("x1", depth) / node.term("x2", depth),
    "chumpy.ch_ops.negative": lambda node, depth: -node.term("x", depth),
}
_CHUMPY_NODES: dict[str, type[ChumpyNode]] = {
    kind: type(kind.rsplit(".", 1)[1], (ChumpyNode,), {"kind": kind}) for kind in _CHUMPY_EVALUATORS
}


def to_numpy(value: Any, depth: int = 0) -> Any:
    """A chumpy node's array; numpy arrays, sparse matrices and plain values stay as they are."""
    return value.value(depth) if isinstance(value, ChumpyNode) else value


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    """`copy_reg._reconstructor` (how Python 2 protocols 0 and 1 rebuild objects), for allowed classes only."""
    allowed = isinstance(cls, type) and issubclass(cls, (ChumpyNode, scipy.sparse.spmatrix))
    if base is not object or not allowed:
        raise pickle.UnpicklingError(f"refusing to reconstruct {getattr(cls, '__name__', cls)!r}")
    return copyreg._reconstructor(cls, base, state)  # type: ignore[attr-defined]


def python3_name(module: str, name: str) -> tuple[str, str]:
    """A Python 2 global's Python 3 name, as `pickle.Unpickler(fix_imports=True)` maps it."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the classes a MANO-format (or ARCTIC parameter) file may contain."""

    def find_class(self, module: str, name: str) -> Any:
        """The allowed object of a (possibly Python 2) global name; UnpicklingError for anything else."""
        module, name = python3_name(module, name)
        if f"{module}.{name}" in _CHUMPY_NODES:
            return _CHUMPY_NODES[f"{module}.{name}"]
        if module.split(".")[0] == "numpy" and name in _NUMPY_NAMES:
            return _import_numpy_global(module, name)
        if (module == "scipy.sparse" or module.startswith("scipy.sparse.")) and name in _SPARSE_NAMES:
            return getattr(scipy.sparse, name)
        if (module, name) == ("copyreg", "_reconstructor"):
            return _reconstructor
        if (module, name) in _PLAIN_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _import_numpy_global(module: str, name: str) -> Any:
    """Resolve numpy internals across the numpy 1 (`numpy.core`) / numpy 2 (`numpy._core`) rename."""
    for candidate in (module, module.replace("numpy._core", "numpy.core"), module.replace("numpy.core", "numpy._core")):
        try:
            return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"unknown numpy object {module}.{name}")
