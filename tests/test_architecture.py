"""The layout holds what docs/architecture.md says: the packages it names exist and are all named there, and the
studio's model and workers never import its widgets."""

from __future__ import annotations

import ast
import re

from setuptools import find_packages

from tests.paths import REPO_ROOT

ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
WIDGET_PACKAGES = ("hmp_studio.views", "hmp_studio.docks", "hmp_studio.dialogs")
WIDGET_FREE_PACKAGES = ("hmp_studio.model", "hmp_studio.workers")


def named_in_architecture() -> set[str]:
    """Every ``hmp_engine``/``hmp_studio`` dotted name the architecture doc writes as code."""
    return set(re.findall(r"`(hmp_(?:engine|studio)(?:\.\w+)*)`", ARCHITECTURE.read_text()))


def source_packages() -> set[str]:
    return set(find_packages(str(REPO_ROOT), include=["hmp_engine*", "hmp_studio*"]))


def is_module(name: str) -> bool:
    path = REPO_ROOT.joinpath(*name.split("."))
    return (path / "__init__.py").is_file() or path.with_suffix(".py").is_file()


def test_every_package_is_in_the_architecture_doc() -> None:
    assert source_packages() - named_in_architecture() == set()


def test_everything_the_architecture_doc_names_exists() -> None:
    assert {name for name in named_in_architecture() if not is_module(name)} == set()


def imported_modules(path) -> set[str]:
    """Absolute module names a source file imports (at any depth, including imports inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_studio_model_and_workers_import_no_widgets() -> None:
    offences = []
    for package in WIDGET_FREE_PACKAGES:
        for path in sorted(REPO_ROOT.joinpath(*package.split(".")).rglob("*.py")):
            for name in imported_modules(path):
                if name.startswith(WIDGET_PACKAGES):
                    offences.append(f"{path.relative_to(REPO_ROOT)} imports {name}")
    assert offences == []


def test_layering_check_sees_a_widget_import(tmp_path) -> None:
    source = tmp_path / "bad.py"
    source.write_text("def f():\n    from hmp_studio.views.timeline import Timeline\n")
    assert "hmp_studio.views.timeline" in imported_modules(source)
