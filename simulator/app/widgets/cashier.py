"""The agent's cashier screen, beside the devices: the cashier app's status line, banner, amount field,
the sale's prompt and the recovery being worked on, with its facts — its own widgets, drawn with its view
code. The person at the simulator is the cashier too: Enter on the amount starts a sale."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from agent.ui.labels import label
from agent.ui.messages import SaleRequested
from agent.ui.widgets import Banner, FactsView, Notice, PromptView, StatusBar
from simulator.app.view import CashierView


class CashierPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield StatusBar(id="cashier-status")
        yield Banner(id="cashier-banner")
        with Horizontal(id="entry"):
            yield Label(id="amount-label")
            yield Input(id="amount", compact=True, max_length=16)
        yield Notice(id="cashier-notice")
        yield PromptView(id="till")
        yield Static(id="recovery-heading")
        yield FactsView(id="recovery-facts")
        yield PromptView(id="recovery")

    def show(self, view: CashierView, language: str) -> None:
        self.border_title = label("app.title", language)
        self.query_one(StatusBar).show(view.status)
        self.query_one(Banner).show(view.banner)
        self.query_one("#amount-label", Label).update(label("sale.amount", language))
        self.query_one("#amount", Input).placeholder = label("sale.amount_hint", language)
        for name, shown in (("till", view.till), ("recovery", view.recovery)):
            prompt = self.query_one(f"#{name}", PromptView)
            prompt.display = shown is not None
            prompt.show(*((shown.body, shown.plain, shown.actions) if shown is not None else (Text(), "", Text())))
        heading = self.query_one("#recovery-heading", Static)
        heading.update(view.heading)
        heading.display = bool(view.heading.plain)
        self.query_one(FactsView).show(view.facts)

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    def sale_started(self) -> None:
        self.query_one("#amount", Input).value = ""
        self.show_problem("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "amount":
            event.stop()
            self.post_message(SaleRequested(event.value, ""))
