"""The event log: every step with its result, what the agent journaled, and what the reader, the printer and
the acquirer did — each line stamped with the virtual time it happened at."""

from __future__ import annotations

from textual.widgets import RichLog

from simulator.app.view import log_line, log_plain

MAX_LINES = 5000


class EventLog(RichLog):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, max_lines=MAX_LINES, wrap=True, markup=False, highlight=False,
                         auto_scroll=True, min_width=20)
        self.lines_plain: list[str] = []

    def on_mount(self) -> None:
        self.border_title = "Event log"

    def add(self, at: float | None, source: str, text: str) -> None:
        self.lines_plain = [*self.lines_plain[-MAX_LINES + 1:], log_plain(at, source, text)]
        self.write(log_line(at, source, text))
