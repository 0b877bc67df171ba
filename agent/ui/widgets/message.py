"""The exact text a customer will receive: broken into lines as Chinese print breaks them, scrolled with the
arrows once Tab has moved to it, never parsed as markup."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from agent.ui.wrap import Wrapped


class MessageView(VerticalScroll):
    plain = ""

    def compose(self) -> ComposeResult:
        yield Static(id="message-body")

    def show(self, text: Text) -> None:
        if text.plain != self.plain:
            self.scroll_home(animate=False)
        self.plain = text.plain
        self.query_one("#message-body", Static).update(Wrapped(text))
        self.display = bool(text.plain)
