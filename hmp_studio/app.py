"""Start HMP Studio: `hmp-studio [VIDEO | PROJECT]` or `python main.py [VIDEO | PROJECT]`."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from hmp_engine import __version__
from hmp_studio.main_window import MainWindow


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options of the studio."""
    parser = argparse.ArgumentParser(prog="hmp-studio", description="HMP Studio: 3D hand motion from video.")
    parser.add_argument("path", nargs="?", help="project (.hmp), video file or image folder to open")
    parser.add_argument("--version", action="version", version=f"hmp-studio {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the studio until its window closes; returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("HMP")
    app.setApplicationName("HMP Studio")
    window = MainWindow()
    window.show()
    if args.path:
        QTimer.singleShot(0, lambda: window.open_path(args.path))
    return app.exec()
