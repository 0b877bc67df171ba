"""The end-of-day screen (结算), opened from the till with Ctrl+E: the open batch as the acquirer will be
told it — sales and refunds since the last balanced settlement — the reversals still waiting in
store-and-forward, and F5 to settle. The settlement runs over the counter's own link; the screen follows
it live, one prompt of numbered steps after another, and keeps the last — the outcome and what to do
next — until the next settlement. Esc goes back to the till, also while it runs (no sale starts then)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Footer, Static

from agent.settle.at_counter import SettleRefused
from agent.settle.totals import batch_totals, last_balanced
from agent.ui.labels import label
from agent.ui.sanitise import sanitise
from agent.ui.screens.base import KeyedScreen, bindings, key
from agent.ui.view import flow_name, prompt_body, prompt_plain, render, show_fact
from agent.ui.widgets import Banner, FactsView, Notice, PromptView, StatusBar
from agent.ui.wrap import Wrapped
from domain.effects import ShowPrompt
from domain.money import Money


def settle_problem(refused: SettleRefused, language: str) -> str:
    """Why end of day will not start now, naming what is under way at the counter."""
    if refused.code != "under_way":
        return label(f"end_of_day.{refused.code}", language)
    flows = label("app.and", language).join(
        f"{flow_name(flow_id.rpartition('-')[0], language)} {sanitise(flow_id, single_line=True)}"
        for flow_id in refused.flows)
    return label("end_of_day.under_way", language, flows=flows)


class SettleRequested(Message):
    """The cashier pressed F5 on the end-of-day screen."""


class SettlementPrompted(Message):
    """The settlement running at the counter has a new prompt."""

    def __init__(self, prompt: ShowPrompt) -> None:
        super().__init__()
        self.prompt = prompt


class EndOfDayScreen(KeyedScreen):
    BINDINGS = bindings(key("f5", "settle", "end_of_day.settle", "F5", priority=True),
                        key("escape", "leave", "end_of_day.back", "Esc"))

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Banner(id="banner")
        yield Static(id="heading")
        yield FactsView(id="batch")
        yield PromptView(id="steps")
        yield Notice(id="notice")
        yield Footer(compact=True)

    # -- drawn from the app's state ------------------------------------------------------------------

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, language = self.cashier, self.cashier.language
        self.query_one(StatusBar).show(app.status())
        self.query_one(Banner).show(app.paused())
        self.query_one("#heading", Static).update(Text(label("end_of_day.heading", language), style="bold"))
        self.query_one(FactsView).show(self.batch_text())
        prompt = app.settlement_prompt
        if prompt is None:
            idle = label("end_of_day.idle", language)
            self.query_one(PromptView).show(Wrapped(idle), idle, Text())
        else:
            shown = render(prompt, language, app.tz)
            note = label("end_of_day.running", language) if self.settling else ""
            self.query_one(PromptView).show(prompt_body(shown, note), prompt_plain(shown, note), Text())
        self.refresh_bindings()

    def batch_text(self) -> Text:
        """The open batch as `batch_totals` counts it, since when, and the reversals still stored."""
        app, language = self.cashier, self.cashier.language
        journal, currency = app.counter.journal, app.settings.host.currency
        totals = batch_totals(journal, currency)
        since = last_balanced(journal)
        text = Text(label("end_of_day.batch", language, sales=totals.sales, sales_amount=totals.sales_amount,
                          refunds=totals.refunds, refunds_amount=totals.refunds_amount), style="bold")
        text.append("\n")
        text.append(label("end_of_day.since", language, time=show_fact(since, app.tz)) if since is not None
                    else label("end_of_day.since_first", language), style="dim")
        text.append("\n")
        stored = app.counter.host.saf.pending() if app.counter.host is not None else []
        if stored:
            amount = sum((reversal.amount for reversal in stored), Money(0, currency))
            text.append(label("end_of_day.stored", language, count=len(stored), amount=amount), style="bold yellow")
        else:
            text.append(label("end_of_day.stored_none", language))
        return text

    @property
    def settling(self) -> bool:
        return self.cashier.counter.settling is not None

    def offers(self, action: str, arguments: tuple[object, ...]) -> bool:
        if action == "settle":
            return not self.settling
        return super().offers(action, arguments)

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    # -- the cashier's keys --------------------------------------------------------------------------

    def action_settle(self) -> None:
        self.show_problem("")
        self.post_message(SettleRequested())

    async def action_leave(self) -> None:
        await self.app.pop_screen()
