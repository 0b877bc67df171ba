"""The counter screen: the amount (and an optional order reference), the sale in progress with its
prompt and keys, the devices' status, and a banner while card payments are paused."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, Static

from agent.ui.desk import Matter
from agent.ui.labels import label
from agent.ui.messages import SaleRequested
from agent.ui.screens.base import KeyedScreen, bindings, flow_keys, key
from agent.ui.view import REFERENCE_MAX, actions_text, prompt_body, prompt_plain, render
from agent.ui.widgets import Banner, Notice, PromptView, StatusBar


class CounterScreen(KeyedScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings(key("enter", "start_sale", "sale.start", "Enter", priority=True), flow_keys(),
                  key("ctrl+r", "app.recovery", "recovery.open", "^R"),
                  key("ctrl+s", "app.recent_sales", "sales.open", "^S"),
                  key("ctrl+o", "app.cases", "cases.open", "^O"),
                  key("ctrl+e", "app.end_of_day", "end_of_day.open", "^E", priority=True)),
        # Ctrl+E is at hand while a sale shows keys of its own too, out of the footer (no room at 80 columns):
        # the end-of-day screen then says why it cannot settle yet.
        Binding("ctrl+e", "app.end_of_day", show=False, priority=True)]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Banner(id="banner")
        with Horizontal(id="entry"):
            yield Label(id="amount-label")
            yield Input(id="amount", compact=True, max_length=16)
            yield Label(id="reference-label")
            yield Input(id="reference", compact=True, max_length=REFERENCE_MAX)
        yield Notice(id="notice")
        yield Static(id="recoveries")
        yield PromptView(id="sale")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    # -- drawn from the app's state ------------------------------------------------------------------

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, language = self.cashier, self.cashier.language
        self.query_one(StatusBar).show(app.status())
        self.query_one(Banner).show(app.paused())
        self.query_one("#amount-label", Label).update(label("sale.amount", language))
        self.query_one("#reference-label", Label).update(label("sale.reference", language))
        self.query_one("#amount", Input).placeholder = label("sale.amount_hint", language)
        self.query_one("#reference", Input).placeholder = label("sale.reference_hint", language)
        recoveries = app.desk.recoveries()
        hint = self.query_one("#recoveries", Static)
        hint.update(Text(label("recovery.open_count", language, count=len(recoveries)) + " — Ctrl+R",
                         style="bold"))
        hint.display = bool(recoveries)
        matter = app.desk.current_sale()
        view = self.query_one(PromptView)
        if matter is None:
            idle = label("sale.idle", language)
            view.show(Text(idle), idle, Text())
        else:
            shown = render(matter.prompt, language, app.tz)
            offered = tuple(a for a in shown.actions if a[2] in matter.actions)
            view.show(prompt_body(shown), prompt_plain(shown), actions_text(offered))
        self.refresh_bindings()

    def flow_matter(self) -> Matter | None:
        return self.cashier.desk.current_sale()

    def offers(self, action: str, arguments: tuple[object, ...]) -> bool:
        if action == "recovery":
            return bool(self.cashier.desk.recoveries())
        if action == "end_of_day":  # in the footer unless the sale's own keys need the room
            matter = self.flow_matter()
            return matter is None or not matter.actions
        return super().offers(action, arguments)

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    def sale_started(self) -> None:
        for field in ("#amount", "#reference"):
            self.query_one(field, Input).value = ""
        self.query_one("#amount", Input).focus()
        self.show_problem("")

    # -- the cashier's keys --------------------------------------------------------------------------

    def action_start_sale(self) -> None:
        self.after_keys(lambda: self.post_message(SaleRequested(self.query_one("#amount", Input).value,
                                                                self.query_one("#reference", Input).value)))
