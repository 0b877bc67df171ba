"""The recent sales at this counter, newest first: the cashier picks one and reports it charged to the wrong
card (F9), or its receipt unpaid (F8) — with the till's receipt number when the sale printed none of ours.
Why a sale cannot be reported (not approved, still open, already followed) is shown under the list; once
reported, the recovery screen takes over."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Input, Label, Static

from agent.ui.labels import label
from agent.ui.listing import sale_cells, sale_detail, sale_headers
from agent.ui.messages import SaleReported
from agent.ui.sales import SaleLine
from agent.ui.screens.base import KeyedScreen, bindings, key
from agent.ui.view import RECEIPT_MAX
from agent.ui.widgets import Banner, FactsView, Listing, Notice, StatusBar


class SalesScreen(KeyedScreen):
    BINDINGS = bindings(key("f9", "report('wrong_card')", "sales.wrong_card", "F9"),
                        key("f8", "report('unpaid')", "sales.unpaid", "F8"),
                        key("escape", "app.till", "sales.back", "Esc"))

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, SaleLine] = {}  # as last drawn, by sale id

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Banner(id="banner")
        yield Static(id="heading")
        yield Listing(id="sales")
        yield FactsView(id="detail")
        with Horizontal(id="till-row"):
            yield Label(id="till-receipt-label")
            yield Input(id="till-receipt", compact=True, max_length=RECEIPT_MAX)
        yield Notice(id="notice")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Listing).focus()

    # -- drawn from the app's state ------------------------------------------------------------------

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, language = self.cashier, self.cashier.language
        self.query_one(StatusBar).show(app.status())
        self.query_one(Banner).show(app.paused())
        lines = app.recent_sales()
        self.lines = {line.sale_id: line for line in lines}
        heading = label("sales.heading", language, count=len(lines)) if lines else label("sales.empty", language)
        self.query_one("#heading", Static).update(Text(heading, style="bold"))
        self.query_one(Listing).show(sale_headers(language),
                                     [(line.sale_id, sale_cells(line, language, app.tz)) for line in lines])
        self.query_one("#till-receipt-label", Label).update(label("sales.till_receipt", language))
        self.query_one("#till-receipt", Input).placeholder = label("sales.till_receipt_hint", language)
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        chosen = self.query_one(Listing).chosen
        line = self.lines.get(chosen) if chosen is not None else None
        detail = sale_detail(line, self.cashier.language, self.cashier.tz) if line is not None else Text()
        self.query_one(FactsView).show(detail)

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.show_problem("")

    # -- set down by the app -------------------------------------------------------------------------

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    def ask_receipt(self, problem: str) -> None:
        """The receipt number is needed, or wrong: say so and put the cursor there."""
        self.show_problem(problem)
        self.query_one("#till-receipt", Input).focus()

    @property
    def plain(self) -> list[list[str]]:
        return self.query_one(Listing).plain

    # -- the cashier's keys --------------------------------------------------------------------------

    def action_report(self, problem: str) -> None:
        chosen = self.query_one(Listing).chosen
        if chosen is None:
            self.show_problem(label("sales.none_chosen", self.cashier.language))
            return
        self.post_message(SaleReported(chosen, problem, self.query_one("#till-receipt", Input).value))
