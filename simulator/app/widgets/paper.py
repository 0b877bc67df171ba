"""The paper roll: every receipt the printer put out, as text, in the order printed, a cut between each
(a torn one says so). It scrolls to the newest."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from agent.ui.sanitise import sanitise
from simulator.printer.device import PrintedReceipt


class PaperRoll(VerticalScroll):
    def on_mount(self) -> None:
        self.border_title = "Paper"
        self.receipts: list[str] = []

    def add(self, receipt: PrintedReceipt) -> None:
        text = sanitise(receipt.text.rstrip("\n"))
        self.receipts.append(text)
        cut = " ✂ torn: a fault stopped the paper " if receipt.torn else \
            " ✂ " if receipt.cut is not None else " not cut "
        paper = Text(text, no_wrap=True, overflow="crop")  # the paper's own lines, as wide as it is
        width = max((cell_len(line) for line in text.splitlines()), default=0)
        paper.append("\n" + cut.center(width, "-"), style="dim")
        self.mount(Static(paper, classes="receipt"))
        self.call_after_refresh(self.scroll_end, animate=False)

    def clear(self) -> None:
        self.receipts = []
        self.remove_children()
