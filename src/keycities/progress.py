"""Progress while building: a bar on a terminal, plain lines otherwise (logs, CI)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

BAR_WIDTH = 30


class ProgressDisplay:
    """Shows (done, total, document, status) as documents finish, on stderr."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.drawn = False

    def update(self, done: int, total: int, document: str, status: str) -> None:
        """Record one finished document."""
        if self.terminal:
            filled = BAR_WIDTH * done // max(total, 1)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r[{bar}] {done}/{total} {status} {document[:40]:<40}")
            self.drawn = True
        else:
            self.stream.write(f"[{done}/{total}] {status} {document}\n")
        self.stream.flush()

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
