"""The offscreen OpenGL contexts of the renderers: which platform PyOpenGL uses, one context per rendering thread,
and errors that say what to do.

PyOpenGL picks its platform from ``PYOPENGL_PLATFORM`` once, when OpenGL is first imported. When the variable is
unset and there is no display (no ``DISPLAY`` or ``WAYLAND_DISPLAY``), it is set to ``egl`` here before pyrender
is imported, so headless machines render without a window system; with a display pyrender's default (a hidden
pyglet window) is kept. OSMesa, the other headless route, fails with the PyOpenGL 3.1.0 that pyrender pins; when
a context cannot be made the error names the platform, the reason and the fix.

A context is current on one thread, so each thread that renders gets its own pyrender OffscreenRenderer, made on
its first render and kept for the life of the process: deleting one (pyrender does it also when one is garbage
collected) terminates the EGL display that every context of the process shares, which breaks all the others.
A program should therefore render from few, long-lived threads (one worker thread in the studio).
"""

from __future__ import annotations

import functools
import os
import threading
from types import ModuleType
from typing import Any

PLATFORM_VARIABLE = "PYOPENGL_PLATFORM"
HEADLESS_PLATFORM = "egl"
_FIX = ("headless rendering needs EGL: install libEGL and Mesa (apt-get install libegl1 libgl1-mesa-dri) and set "
        f"{PLATFORM_VARIABLE}=egl (OSMesa does not work with the PyOpenGL 3.1.0 pyrender needs); on a desktop, "
        f"unset {PLATFORM_VARIABLE} to render through the display")


class RenderError(Exception):
    """Rendering cannot start or go on; the message says why and what to do."""


def select_platform() -> str:
    """The OpenGL platform to use: ``PYOPENGL_PLATFORM`` if set, else EGL when no display is present (set here)."""
    if not os.environ.get(PLATFORM_VARIABLE) and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ[PLATFORM_VARIABLE] = HEADLESS_PLATFORM
    return os.environ.get(PLATFORM_VARIABLE) or "display (pyglet)"


@functools.cache
def load_pyrender() -> ModuleType:
    """The pyrender module, imported after the platform is chosen. Raises RenderError."""
    platform = select_platform()
    try:
        import pyrender
    except Exception as error:  # PyOpenGL raises many types when a platform library is missing
        raise RenderError(f"Cannot load OpenGL for platform '{platform}': {error}; {_FIX}") from error
    return pyrender


_local = threading.local()
_kept: list[Any] = []  # every thread's renderer, so that none is ever garbage collected (see the docstring)


def thread_renderer() -> Any:
    """The calling thread's OffscreenRenderer, made on first use and never deleted. Raises RenderError."""
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = _offscreen_renderer(64, 64)
        _kept.append(renderer)
    return renderer


def _offscreen_renderer(width: int, height: int) -> Any:
    """A pyrender OffscreenRenderer with an OpenGL context current on the calling thread. Raises RenderError."""
    pyrender = load_pyrender()
    try:
        return pyrender.OffscreenRenderer(width, height)
    except Exception as error:  # EGL/OSMesa/pyglet failures surface as many exception types
        platform = os.environ.get(PLATFORM_VARIABLE) or "display (pyglet)"
        raise RenderError(f"Cannot create an offscreen OpenGL context ({PLATFORM_VARIABLE}={platform}): "
                          f"{type(error).__name__}: {error}; {_FIX}") from error
