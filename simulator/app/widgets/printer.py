"""The receipt printer's state, one toggle a line: the paper (ok, near its end, run out), the cover, the
line (online, offline) and whether it answers status requests at all."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Static

from domain.events import PrinterCondition
from simulator.app.messages import StepRequested
from simulator.replay.steps import PrinterStep


class PrinterPanel(Static, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle('paper')", "Paper"),
        Binding("o", "toggle('cover')", "Cover"),
        Binding("f", "toggle('line')", "Offline"),
        Binding("m", "toggle('silent')", "Silent"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.conditions: frozenset[PrinterCondition] = frozenset()
        self.silent = False
        self.plain = ""

    def on_mount(self) -> None:
        self.border_title = "Printer"

    def show(self, text: Text, conditions: frozenset[PrinterCondition], silent: bool, title: str) -> None:
        self.conditions, self.silent, self.plain = conditions, silent, text.plain
        self.border_title = title
        self.update(text)

    def action_toggle(self, what: str) -> None:
        """The printer command that moves this toggle on: the paper goes ok → near its end → run out → ok."""
        on = self.conditions
        command = {
            "paper": "paper ok" if PrinterCondition.PAPER_END in on else
                     "paper end" if PrinterCondition.PAPER_NEAR_END in on else "paper near",
            "cover": "cover closed" if PrinterCondition.COVER_OPEN in on else "cover open",
            "line": "online" if PrinterCondition.OFFLINE in on else "offline",
            "silent": "silent off" if self.silent else "silent on",
        }[what]
        self.post_message(StepRequested(PrinterStep(command)))
