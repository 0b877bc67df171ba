"""What every screen of the cashier app shares: it is redrawn from the app's state, and its keys — shown
in the footer — follow the prompt on it and the cashier's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingsMap
from textual.screen import ModalScreen, Screen

from agent.ui.labels import label
from agent.ui.messages import ActionRequested
from agent.ui.view import render, textual_key

if TYPE_CHECKING:
    from agent.ui.app import CashierApp
    from agent.ui.desk import Matter


class Keyed:
    """Mixed into the app's screens. Textual builds a node's key map once, from BINDINGS; here the keys
    change with the prompt shown and the language, so the map is rebuilt and the footer told."""

    ready = False  # composed and mounted: refresh_view may draw

    @property
    def cashier(self) -> CashierApp:
        return self.app  # type: ignore[attr-defined, return-value]

    def rebind(self, bindings: list[Binding]) -> None:
        language = Binding("f12", "app.toggle_language", label("app.language", self.cashier.language),
                           key_display="F12")
        inherited = [binding for _, binding in (type(self)._merged_bindings or BindingsMap())]  # tab, copy…
        self._bindings = BindingsMap([*inherited, *bindings, language])
        self.refresh_bindings()  # type: ignore[attr-defined]

    def flow_bindings(self, matter: Matter | None) -> list[Binding]:
        """The keys of the actions the matter's prompt offers, labelled in the cashier's language."""
        if matter is None:
            return []
        shown = render(matter.prompt, self.cashier.language, self.cashier.tz)
        return [Binding(textual_key(key), f"flow_action({matter.flow_id!r}, {action!r})", name, key_display=key)
                for key, name, action in shown.actions if action in matter.actions]

    def refresh_view(self) -> None:
        """Redraw from the app's state; each screen draws its own."""

    def after_keys(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the focused field has taken in the keys typed before the one that called it. A
        priority binding (Enter on the amount, F5 on a form) acts as soon as its key arrives, while the keys
        typed just before it may still wait in the field's queue: a fast cashier's (or a keyboard wedge's)
        "58⏎" would find the amount empty."""
        target = self.focused or self  # type: ignore[attr-defined]
        target.call_later(callback)

    def action_flow_action(self, flow_id: str, action: str) -> None:
        self.post_message(ActionRequested(flow_id, action))  # type: ignore[attr-defined]


class KeyedScreen(Keyed, Screen[None]):
    def on_mount(self) -> None:  # Textual runs this before a subclass's own on_mount
        self.ready = True
        self.refresh_view()


class KeyedModal(Keyed, ModalScreen[object]):
    def on_mount(self) -> None:
        self.ready = True
        self.refresh_view()
