"""What `%%emr` shows: a progress bar that updates in place while a statement runs, and result tables.

The bar appears only once a statement has run for `delay` seconds (trivial statements show nothing) and
redraws at most every `interval` seconds: in a kernel through one `display_id` updated in place, in a
terminal on stderr with a carriage return, elsewhere not at all.
"""

from __future__ import annotations

import html
import sys
import time
from collections.abc import Callable
from typing import Any

_WIDTH = 30


def frontend_kind(shell: Any) -> str:
    """ "kernel" under ipykernel (display updates work), "terminal" on a TTY, else "off"."""
    if shell is not None and getattr(shell, "kernel", None) is not None:
        return "kernel"
    stream = sys.stderr
    return "terminal" if hasattr(stream, "isatty") and stream.isatty() else "off"


def bar_text(label: str, fraction: float | None, elapsed: float) -> str:
    """`[#######.......]  45%  3.2 s  label` (no percentage while the fraction is unknown)."""
    if fraction is None:
        return f"[{'.' * _WIDTH}]  {elapsed:5.1f} s  {label}"
    fraction = min(max(fraction, 0.0), 1.0)
    done = round(fraction * _WIDTH)
    return f"[{'#' * done}{'.' * (_WIDTH - done)}] {fraction * 100:3.0f}%  {elapsed:5.1f} s  {label}"


class Progress:
    """A throttled progress display; call it with a fraction (or `.state(text)`), then `.close()`."""

    def __init__(
        self,
        label: str,
        *,
        mode: str = "off",
        delay: float = 0.5,
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        display: Callable[..., Any] | None = None,
    ) -> None:
        self.label = label
        self.mode = mode
        self.delay = delay
        self.interval = interval
        self._clock = clock
        self._start = clock()
        self._last_draw = float("-inf")
        self._fraction: float | None = None
        self._handle: Any = None
        self._display = display
        self._drawn = False
        self.draws = 0

    def __call__(self, fraction: float | None) -> None:
        """Record a new fraction (0..1) and redraw if due."""
        if fraction is not None:
            self._fraction = fraction
        self._maybe_draw()

    def state(self, text: str) -> None:
        """Show a state instead of a fraction (e.g. the session state while it starts)."""
        self.label = text
        self._maybe_draw()

    def _maybe_draw(self) -> None:
        if self.mode == "off":
            return
        now = self._clock()
        if now - self._start < self.delay or now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw(bar_text(self.label, self._fraction, now - self._start))

    def _draw(self, text: str) -> None:
        self.draws += 1
        self._drawn = True
        if self.mode == "terminal":
            sys.stderr.write("\r" + text)
            sys.stderr.flush()
            return
        bundle = {"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"}
        if self._handle is None:
            show = self._display or _ipython_display()
            self._handle = show(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)

    def close(self, final: str | None = None) -> None:
        """Replace the bar by `final` (or clear it) if it was ever drawn."""
        if not self._drawn:
            return
        elapsed = self._clock() - self._start
        text = final if final is not None else ""
        if self.mode == "terminal":
            sys.stderr.write("\r" + " " * (_WIDTH + 60) + "\r" + (text + "\n" if text else ""))
            sys.stderr.flush()
        elif self._handle is not None:
            shown = text or f"done in {elapsed:.1f} s"
            self._handle.update(
                {"text/plain": shown, "text/html": f"<pre>{html.escape(shown)}</pre>"}, raw=True
            )
        self._drawn = False


def _ipython_display() -> Callable[..., Any]:
    from IPython.display import display

    return display
