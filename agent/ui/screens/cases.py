"""The manager's lists: the cases, filtered by state (open, overdue, closed, all) and by type; and the
follow-ups due today, overdue first. Enter opens the case under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static

from agent.cases import CaseRow
from agent.ui.labels import label
from agent.ui.listing import case_cells, case_headers, case_row_detail, followup_cells, followup_headers
from agent.ui.messages import CaseChosen
from agent.ui.screens.base import KeyedScreen, bindings, key
from agent.ui.view import flow_name
from agent.ui.widgets import Banner, FactsView, Listing, Notice, StatusBar

# The state filter, in the order F2 goes round them: (label, state for the store, overdue only).
STATES = (("open", "open", False), ("overdue", "open", True), ("closed", "closed", False), ("all", None, False))
# Every list: Enter opens the case under the cursor, Esc goes back to the till.
LIST_KEYS = (key("enter", "show_case", "cases.show", "Enter", priority=True),
             key("escape", "app.till", "app.back", "Esc"))


class CaseList(KeyedScreen):
    """A list of cases with the highlighted one's facts under it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, CaseRow] = {}  # as last drawn, by case id

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Banner(id="banner")
        yield Static(id="heading")
        yield Listing(id="cases")
        yield FactsView(id="detail")
        yield Notice(id="notice")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Listing).focus()

    def draw(self, heading: str, headers: tuple[str, ...], rows: list[CaseRow], cells) -> None:
        app = self.cashier
        self.query_one(StatusBar).show(app.status())
        self.query_one(Banner).show(app.paused())
        self.query_one("#heading", Static).update(Text(heading, style="bold"))
        self.rows = {row.case_id: row for row in rows}
        self.query_one(Listing).show(headers, [(row.case_id, cells(row, app.language, app.tz)) for row in rows])
        self._show_detail()

    def _show_detail(self) -> None:
        chosen = self.query_one(Listing).chosen
        row = self.rows.get(chosen) if chosen is not None else None
        app = self.cashier
        self.query_one(FactsView).show(case_row_detail(row, app.language, app.tz) if row is not None else Text())

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    @property
    def plain(self) -> list[list[str]]:
        return self.query_one(Listing).plain

    def action_show_case(self) -> None:
        self.after_keys(self._show_case)  # the arrows pressed before Enter move the cursor first

    def _show_case(self) -> None:
        chosen = self.query_one(Listing).chosen
        if chosen is not None:
            self.post_message(CaseChosen(chosen))


class CasesScreen(CaseList):
    BINDINGS = bindings(key("f2", "next_state", "cases.state_key", "F2"),
                        key("f3", "next_type", "cases.type_key", "F3"),
                        key("f4", "app.followups", "followups.open", "F4"), *LIST_KEYS)
    state = 0  # index in STATES
    case_type: str | None = None  # None: every type

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, language = self.cashier, self.cashier.language
        name, state, overdue = STATES[self.state]
        rows = app.case_rows(state, overdue, self.case_type)
        kind = flow_name(self.case_type, language) if self.case_type else label("cases.type_all", language)
        state_name = label(f"cases.state_{name}", language)
        if rows:
            heading = label("cases.heading", language, state=state_name, type=kind, count=len(rows),
                            overdue=sum(row.overdue for row in rows))
        else:
            heading = label("cases.empty", language, state=state_name, type=kind)
        self.draw(heading, case_headers(language), rows, case_cells)
        self.refresh_bindings()

    def action_next_state(self) -> None:
        self.state = (self.state + 1) % len(STATES)
        self.refresh_view()

    def action_next_type(self) -> None:
        types = [None, *self.cashier.case_types()]
        self.case_type = types[(types.index(self.case_type) + 1) % len(types)] if self.case_type in types else None
        self.refresh_view()


class FollowupsScreen(CaseList):
    BINDINGS = bindings(key("f2", "scope(False)", "followups.show_all", "F2"),
                        key("f2", "scope(True)", "followups.show_today", "F2"),
                        key("f4", "app.cases", "cases.open", "F4"), *LIST_KEYS)
    today_only = True

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, language = self.cashier, self.cashier.language
        rows, end = app.followup_rows(self.today_only)
        overdue = sum(row.overdue for row in rows)
        if not rows:
            heading = label("followups.empty_today" if self.today_only else "followups.empty_all", language)
        elif self.today_only:
            heading = label("followups.heading_today", language, date=end.date().isoformat(), count=len(rows),
                            overdue=overdue)
        else:
            heading = label("followups.heading_all", language, count=len(rows), overdue=overdue)
        self.draw(heading, followup_headers(language), rows, followup_cells)
        self.refresh_bindings()

    def offers(self, action: str, arguments: tuple[object, ...]) -> bool:
        if action == "scope":  # F2 shows the other scope
            return arguments[0] != self.today_only
        return super().offers(action, arguments)

    def action_scope(self, today_only: bool) -> None:
        self.today_only = today_only
        self.refresh_view()
