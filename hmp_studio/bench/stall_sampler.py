"""Where the GUI thread is when it stalls: a watchdog thread samples its Python stack while the heartbeat is late.

Used by ``python -m hmp_studio.bench.gui_stall --trace-stalls MS`` to find what blocks the window (profile before
optimising); a stall spent in Qt's C++ shows the innermost Python frame that called into it.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
import traceback


class StallSampler:
    """Call ``beat()`` from the GUI thread's heartbeat; while the last beat is older than ``threshold_s`` the
    sampler records the GUI thread's stack every ``period_s``. ``report()`` lists the stacks seen most."""

    def __init__(self, threshold_s: float = 0.05, period_s: float = 0.005) -> None:
        self.threshold_s, self.period_s = threshold_s, period_s
        self._gui_thread = threading.get_ident()
        self._last_beat = time.perf_counter()
        self._samples: collections.Counter[str] = collections.Counter()
        self._watching = threading.Event()
        threading.Thread(target=self._watch, name="stall sampler", daemon=True).start()

    def start(self) -> None:
        """Watch from now on (the heartbeat must be running)."""
        self._last_beat = time.perf_counter()
        self._watching.set()

    def pause(self) -> None:
        """Stop watching until the next ``start`` (before the heartbeat stops)."""
        self._watching.clear()

    def beat(self) -> None:
        """The GUI thread is responsive now."""
        self._last_beat = time.perf_counter()

    def report(self, top: int = 5) -> list[dict]:
        """The ``top`` most sampled stalled stacks with the milliseconds sampled in each."""
        return [{"ms": round(count * self.period_s * 1000), "stack": stack}
                for stack, count in self._samples.most_common(top)]

    def _watch(self) -> None:
        while self._watching.wait():
            time.sleep(self.period_s)
            if not self._watching.is_set() or time.perf_counter() - self._last_beat < self.threshold_s:
                continue
            frame = sys._current_frames().get(self._gui_thread)
            if frame is not None:
                self._samples["".join(traceback.format_stack(frame)[-8:])] += 1
