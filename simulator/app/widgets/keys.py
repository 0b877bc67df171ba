"""The footer, on two lines: every key that works now — the simulator's, the cashier's actions on the prompt,
and the focused panel's — wrapped rather than scrolled out of sight as a one-line footer would at 120
columns."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeysBar(Static):
    def on_mount(self) -> None:
        self.watch(self.screen, "focused", lambda _: self.call_after_refresh(self.redraw), init=False)
        self.screen.bindings_updated_signal.subscribe(self, lambda _: self.redraw())
        self.redraw()

    def redraw(self) -> None:
        text, seen = Text(), set()
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            if text:
                text.append("  ")
            # non-breaking spaces inside a key and its name: lines break between keys, never within one
            text.append(f"\u00a0{self.app.get_key_display(binding)}\u00a0", style="reverse bold")
            text.append(f"\u00a0{binding.description}".replace(" ", "\u00a0"))
        self.plain = text.plain.replace("\u00a0", " ")
        self.update(text)
