"""The card reader: the wallet of test cards, presented by swipe, chip or tap, a bad swipe, line noise."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from simulator.app.messages import StepRequested
from simulator.cardreader.wallet import WALLET
from simulator.replay.steps import ReaderStep


class Wallet(OptionList):
    """The cards, one a line (first six and last four digits); the keys act on the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "present('swipe')", "Swipe"),
        Binding("c", "present('chip')", "Chip"),
        Binding("t", "present('tap')", "Tap"),
        Binding("b", "read('bad')", "Bad swipe"),
        Binding("n", "read('noise 16')", "Noise"),
    ]

    def __init__(self) -> None:
        super().__init__(*(Option(f"{key:<13}{card.pan[:6]}…{card.pan[-4:]}", id=key) for key, card in WALLET.items()),
                         id="wallet")

    def action_present(self, mode: str) -> None:
        option = self.highlighted_option
        if option is not None:
            self.post_message(StepRequested(ReaderStep(f"present {option.id} {mode}")))

    def action_read(self, command: str) -> None:
        self.post_message(StepRequested(ReaderStep(command)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter (or a click) on a card: swiped, the way every reader takes it."""
        event.stop()
        self.action_present("swipe")


class ReaderPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Wallet()

    def on_mount(self) -> None:
        self.border_title = "Reader"
        self.border_subtitle = "s swipe · c chip · t tap · b bad · n noise"
