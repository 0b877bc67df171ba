"""The device status line, the banner while card payments are paused, and a one-line notice."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    """Reader, printer and acquirer link, one line."""

    plain = ""

    def show(self, text: Text) -> None:
        self.plain = text.plain
        self.update(text)


class Banner(Static):
    """Shown only while it has something to say."""

    plain = ""

    def show(self, text: Text) -> None:
        self.plain = text.plain
        self.update(text)
        self.display = bool(text.plain)


class Notice(Static):
    """A line naming a problem (a bad amount, an action that did not go through); hidden when empty."""

    plain = ""

    def show(self, text: str) -> None:
        self.plain = text
        self.update(Text(text))
        self.display = bool(text)
