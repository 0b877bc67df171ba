"""What every screen of the cashier app shares: it is redrawn from the app's state, and its keys — shown
in the footer — follow the prompt on it and the cashier's language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.actions import parse
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from agent.ui.labels import label
from agent.ui.messages import ActionRequested
from agent.ui.view import textual_key
from flows.prompts import LANGUAGES, catalogue

if TYPE_CHECKING:
    from agent.ui.app import CashierApp
    from agent.ui.desk import Matter


@dataclass(frozen=True)
class Key:
    """A key a screen may offer: what it does (an action of the screen, or of the app: "app.till"), and what
    the footer calls it in each language."""

    key: str
    action: str
    texts: dict[str, str]
    display: str
    priority: bool = False


def key(key: str, action: str, name: str, display: str, *, priority: bool = False) -> Key:
    """A key named by a label of labels.toml."""
    return Key(key, action, {language: label(name, language) for language in LANGUAGES}, display, priority)


def flow_keys() -> list[Key]:
    """The key of every action a flow's prompt can offer, named as prompts.toml names it."""
    return [Key(textual_key(action.key), f"flow_action({name!r})", dict(action.labels), action.key)
            for name, action in catalogue().actions.items()]


LANGUAGE = key("f12", "app.toggle_language", "app.language", "F12")
# Tab and Shift+Tab move the focus as soon as they arrive, ahead of the keys typed after them: otherwise a fast
# "138 0013 8000<Tab>wang@qq.com" reaches the phone field whole, the focus moving only once the field has
# taken in the keys queued before the Tab.
FIELDS = (Binding("tab", "app.focus_next", show=False, priority=True),
          Binding("shift+tab", "app.focus_previous", show=False, priority=True))


def bindings(*keys: Key | Iterable[Key]) -> list[Binding]:
    """Each key once per language, named in it. The footer shows the ones `check_action` lets through: the
    cashier's language, and what the screen offers now (Textual's dynamic actions); the key runs its
    action through the screen's `key` action."""
    found: list[Key] = []
    for item in (*keys, LANGUAGE):
        found += [item] if isinstance(item, Key) else list(item)
    return [*FIELDS, *(Binding(item.key, f"key({language!r}, {item.action!r})", item.texts[language],
                               key_display=item.display, priority=item.priority)
                       for item in found for language in LANGUAGES)]


class Keyed:
    """Mixed into the app's screens. Their BINDINGS hold every key they may offer, in both languages;
    `offers` says which are live now, and `refresh_view` ends with `refresh_bindings` so the footer follows."""

    ready = False  # composed and mounted: refresh_view may draw

    @property
    def cashier(self) -> CashierApp:
        return self.app  # type: ignore[attr-defined, return-value]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "key":
            return True
        language, wanted = parameters
        if language != self.cashier.language:
            return False
        _, name, arguments = parse(str(wanted))
        return self.offers(name, arguments)

    def offers(self, action: str, arguments: tuple[object, ...]) -> bool:
        """Whether the screen offers this action now: a flow's while its prompt offers it; the rest always
        unless the screen says otherwise."""
        if action == "flow_action":
            matter = self.flow_matter()
            return matter is not None and arguments[0] in matter.actions
        return True

    async def action_key(self, _language: str, action: str) -> None:
        await self.run_action(action)  # type: ignore[attr-defined]

    def refresh_view(self) -> None:
        """Redraw from the app's state; each screen draws its own."""

    def after_keys(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the focused field has taken in the keys typed before the one that called it. A
        priority binding (Enter on the amount, F5 on a form) acts as soon as its key arrives, while the keys
        typed just before it may still wait in the field's queue: a fast cashier's (or a keyboard wedge's)
        "58⏎" would find the amount empty."""
        target = self.focused or self  # type: ignore[attr-defined]
        target.call_later(callback)

    def flow_matter(self) -> Matter | None:
        """The flow whose prompt's actions this screen's flow keys act on."""
        return None

    def action_flow_action(self, action: str) -> None:
        matter = self.flow_matter()
        if matter is not None:
            self.post_message(ActionRequested(matter.flow_id, action))  # type: ignore[attr-defined]


class KeyedScreen(Keyed, Screen[None]):
    def on_mount(self) -> None:  # Textual runs this before a subclass's own on_mount
        self.ready = True
        self.refresh_view()


class KeyedModal(Keyed, ModalScreen[object]):
    def on_mount(self) -> None:
        self.ready = True
        self.refresh_view()
