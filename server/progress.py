"""Progress of the long commands (reindex, import, backup, restore) on standard error.

On a terminal, rich's progress bars, redrawn in place. Otherwise (a log file, a pipe, CI) a
plain line now and then, so that a log shows the command is alive without a line per record.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

# How often the plain lines come, in seconds.
PLAIN_EVERY_S = 5.0


class Progress:
    """``with Progress() as progress: progress.update("practices", 10, 200)``; one bar per name."""

    def __init__(self, *, stream: IO[str] | None = None, every_s: float = PLAIN_EVERY_S) -> None:
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.interactive = self.stream.isatty()
        self._bar: RichProgress | None = None
        self._tasks: dict[str, TaskID] = {}
        # name -> (done, total) now, and (when, done) of its last plain line
        self._state: dict[str, tuple[int, int | None]] = {}
        self._printed: dict[str, tuple[float, int]] = {}

    def __enter__(self) -> Progress:
        if self.interactive:
            self._bar = RichProgress(
                TextColumn("{task.description:<28}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
            )
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            return
        for name, (done, total) in self._state.items():  # where each ended, unless just said
            if self._printed.get(name, (0.0, -1))[1] != done:
                self._line(name, done, total)

    def update(self, name: str, done: int, total: int | None = None) -> None:
        self._state[name] = (done, total)
        if self._bar is not None:
            if name not in self._tasks:
                self._tasks[name] = self._bar.add_task(name, total=total)
            self._bar.update(self._tasks[name], completed=done, total=total)
            return
        now = time.monotonic()
        printed = self._printed.get(name)
        if printed is None or now - printed[0] >= self.every_s:
            self._printed[name] = (now, done)
            self._line(name, done, total)

    def _line(self, name: str, done: int, total: int | None) -> None:
        if total:
            self.stream.write(f"{name}: {done:,}/{total:,} ({100 * done // total}%)\n")
        else:
            self.stream.write(f"{name}: {done:,}\n")
        self.stream.flush()

    def reporter(self, name: str) -> _Reporter:
        """A ``(done, total)`` callback for one named bar."""
        return _Reporter(self, name)


class _Reporter:
    def __init__(self, progress: Progress, name: str) -> None:
        self.progress = progress
        self.name = name

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.name, done, total)
