"""Sending again a message whose last delivery was cut off under way: the customer may have it already, so
the manager is told what is known of that delivery and sends it again only on Enter; Esc goes back."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static

from agent.ui.labels import label, named
from agent.ui.listing import FULL, one_line, when
from agent.ui.screens.base import KeyedModal, bindings, key


class ResendScreen(KeyedModal):
    """Dismissed with True once the manager confirms, False when they go back."""

    BINDINGS = bindings(key("enter", "confirm", "message.again_confirm", "Enter", priority=True),
                        key("escape", "go_back", "app.back", "Esc"))

    def __init__(self, draft_id: int, sending: dict[str, object]) -> None:
        """`sending`: the delivery left unknown, as the notifier's refusal names it (attempt, channel, to, at)."""
        super().__init__()
        self.draft_id = draft_id
        self.sending = sending

    def compose(self) -> ComposeResult:
        with Vertical(id="resend"):
            yield Static(id="resend-title")
            yield Static(id="resend-warning")
        yield Footer(compact=True)

    def refresh_view(self) -> None:
        if not self.ready:
            return
        language, sending = self.cashier.language, self.sending
        at = sending.get("at")
        self.query_one("#resend-title", Static).update(
            Text(label("message.again_title", language, draft_id=self.draft_id), style="bold"))
        self.query_one("#resend-warning", Static).update(Text(label(
            "message.again_warning", language, attempt=one_line(sending.get("attempt")),
            channel=named("channel", str(sending.get("channel")), language), to=one_line(sending.get("to")),
            when=when(at if isinstance(at, datetime) else None, self.cashier.tz, FULL))))
        self.refresh_bindings()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_go_back(self) -> None:
        self.dismiss(False)
