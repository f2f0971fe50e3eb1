"""The package layout holds: every source package is installed, and the engine never imports Qt."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from setuptools import find_packages

from tests.paths import REPO_ROOT


def test_every_source_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set(find_packages(str(REPO_ROOT), include=["hmp_engine*", "hmp_studio*"]))
    assert found | {"hmp_resources"} == listed


def test_engine_imports_no_qt() -> None:
    script = (
        "import importlib, pkgutil, sys, hmp_engine\n"
        "for module in pkgutil.walk_packages(hmp_engine.__path__, 'hmp_engine.'):\n"
        "    if not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)\n"
        "qt = sorted(name for name in sys.modules if name.split('.')[0] in ('PySide6', 'pyqtgraph'))\n"
        "assert not qt, qt\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO_ROOT)


def test_hmp_command_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "hmp_engine", "--version"], capture_output=True, text=True,
                            check=True)
    assert result.stdout.startswith("hmp ")


def test_installed_pyside_keeps_its_references_to_none_and_true() -> None:
    """PySide6 6.12.0 drops a reference on every void call / emit and aborts Python 3.11 within seconds.

    The broken build loses thousands of references in this loop; a healthy one may differ by a few (the
    interpreter's own bookkeeping), so only a large drop fails.
    """
    script = (
        "import sys\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "class Probe(QObject):\n"
        "    ping = Signal()\n"
        "probe = Probe()\n"
        "before = sys.getrefcount(None), sys.getrefcount(True)\n"
        "for _ in range(5000):\n"
        "    probe.ping.emit()\n"
        "    probe.setObjectName('probe')\n"
        "after = sys.getrefcount(None), sys.getrefcount(True)\n"
        "assert all(b - a < 100 for a, b in zip(after, before)), (before, after)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
