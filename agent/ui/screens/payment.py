"""Pay another way: the cashier says how the customer paid (cash or a QR code) with one key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static

from agent.ui.labels import label
from agent.ui.screens.base import KeyedModal, bindings, key

METHODS = ("cash", "qr")


class PaymentScreen(KeyedModal):
    """Dismissed with the method chosen, or None when the cashier goes back."""

    BINDINGS = bindings(*(key(str(number), f"choose({method!r})", f"payment.{method}", str(number))
                          for number, method in enumerate(METHODS, 1)),
                        key("escape", "choose(None)", "payment.back", "Esc"))

    def __init__(self, amount: str) -> None:
        super().__init__()
        self.amount = amount  # already shown text (sanitised)

    def compose(self) -> ComposeResult:
        with Vertical(id="payment"):
            yield Static(id="payment-title")
            yield Static(id="payment-choices")
        yield Footer(compact=True)

    def refresh_view(self) -> None:
        if not self.ready:
            return
        language = self.cashier.language
        self.query_one("#payment-title", Static).update(
            Text(label("payment.title", language, amount=self.amount), style="bold"))
        choices = Text()
        for number, method in enumerate(METHODS, 1):
            choices.append(f"\n {number} ", style="reverse bold")
            choices.append(f" {label(f'payment.{method}', language)}")
        self.query_one("#payment-choices", Static).update(choices)
        self.refresh_bindings()

    def action_choose(self, method: str | None) -> None:
        self.dismiss(method)
