"""The footer, on as many lines as it takes: every key that works now — the simulator's, the cashier's actions
on the prompt, and the focused panel's — laid out a key at a time, so a line breaks between keys, never inside
one, and nothing scrolls out of sight as on a one-line footer at 120 columns."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

GAP = "  "


class KeysBar(Static):
    plain = ""

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", lambda _: self.call_after_refresh(self.redraw), init=False)
        self.screen.bindings_updated_signal.subscribe(self, lambda _: self.redraw())
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        width = self.content_size.width or self.app.size.width
        text, line, seen = Text(), 0, set()
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            key = f" {self.app.get_key_display(binding)} "
            size = cell_len(key) + 1 + cell_len(binding.description)
            if line and line + len(GAP) + size > width:
                text.append("\n")
                line = 0
            elif line:
                text.append(GAP)
                line += len(GAP)
            text.append(key, style="reverse bold")
            text.append(f" {binding.description}")
            line += size
        self.plain = text.plain
        self.update(text)
