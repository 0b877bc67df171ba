"""A flow's prompt: title, numbered steps and the actions on their keys; and a transaction's facts."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class PromptView(VerticalScroll):
    """Scrolls when the steps are longer than the room left (a long recovery at 80x24)."""

    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plain = ""

    def compose(self) -> ComposeResult:
        yield Static(id="prompt-body")
        yield Static(id="prompt-actions")

    def show(self, body: RenderableType, plain: str, actions: Text) -> None:
        """`body` drawn, `plain` its text; `actions` the keys offered, one line."""
        self.plain = "\n".join(part for part in (plain, actions.plain) if part)
        self.query_one("#prompt-body", Static).update(body)
        actions_line = self.query_one("#prompt-actions", Static)
        actions_line.update(actions)
        actions_line.display = bool(actions.plain)


class FactsView(Static):
    """The transaction's facts, on a line of their own (wrapping if they must)."""

    plain = ""

    def show(self, text: Text) -> None:
        self.plain = text.plain
        self.update(text)
        self.display = bool(text.plain)
