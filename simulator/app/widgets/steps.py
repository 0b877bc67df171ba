"""The steps: those taken so far, with their results, then the loaded scenario's steps still to come, the
next one marked; the highlighted step in full below; and a line to type any step as a scenario writes it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from agent.ui.widgets import Listing
from simulator.app.messages import TypedStep
from simulator.app.view import clipped

HEADERS = ("#", "file", "", "step", "result")  # the session's step number; the scenario file's
STEP, RESULT = 32, 60  # columns of each in the table; the highlighted step is shown whole below it


class StepsPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Listing(id="steps")
        yield Static(id="step-detail")
        yield Input(id="typed-step", compact=True, placeholder="type a step ⏎  e.g. advance: 2m · restart: agent · "
                    "acquirer: fault late 35 · wrong_card: last")

    def on_mount(self) -> None:
        self.border_title = "Steps"
        self.details: dict[str, str] = {}

    def show(self, title: str, rows: Sequence[tuple[str, Sequence[str | Text]]], follow: str | None) -> None:
        """`rows` as (key, cells); the cursor goes to `follow` (the step just taken, or the next one)."""
        self.border_title = title
        listing = self.query_one(Listing)
        self.details = {key: f"{_plain(cells[3])}\n{_plain(cells[4])}".rstrip() for key, cells in rows}
        listing.show(HEADERS, [(key, [*cells[:3], clipped(_plain(cells[3]), STEP), clipped(_plain(cells[4]), RESULT)])
                               for key, cells in rows])
        keys = [key for key, _ in rows]
        if follow in keys:
            listing.move_cursor(row=keys.index(follow), animate=False)
        self._detail()

    def show_problem(self, problem: str) -> None:
        self.query_one("#step-detail", Static).update(Text(problem, style="bold red"))

    def _detail(self) -> None:
        chosen = self.query_one(Listing).chosen
        self.query_one("#step-detail", Static).update(Text(self.details.get(chosen, "") if chosen else ""))

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(TypedStep(event.value))

    def typed(self) -> None:
        """The typed step went through: clear the line for the next."""
        self.query_one("#typed-step", Input).value = ""


def _plain(cell: str | Text) -> str:
    return cell.plain if isinstance(cell, Text) else cell
