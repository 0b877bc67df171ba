"""What the lists put on the terminal — the recent sales, the cases, the follow-ups, one case in full and its
attempts — as cells and lines of `rich.text.Text` built from plain strings. Every id, note, reason or name
that came from a person, a device or the journal is sanitised first.

Pure functions, like `view`, so the wording is tested without running the app.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text

from agent.cases import Attempt, Case, CaseRow
from agent.late_payment import method_noted
from agent.ui.labels import label, named
from agent.ui.sales import SaleLine
from agent.ui.sanitise import sanitise
from agent.ui.view import flow_name, local_zone, show_fact

SHORT = "%m-%d %H:%M"
FULL = "%Y-%m-%d %H:%M"
DASH = "—"

SALE_COLUMNS = ("time", "sale", "amount", "card", "outcome", "followed")
# At 80 columns a list leaves out what the line under it shows of the highlighted case (the card, in full).
CASE_COLUMNS = ("case", "type", "amount", "attempts", "next")
FOLLOWUP_COLUMNS = ("due", "case", "type", "last")
ATTEMPT_COLUMNS = ("when", "channel", "outcome", "who", "note")


def one_line(value: object) -> str:
    return sanitise(value, single_line=True)


def when(moment: datetime | None, tz: tzinfo | None, form: str = SHORT) -> str:
    return DASH if moment is None else moment.astimezone(local_zone(tz)).strftime(form)


def last_four(masked: str | None) -> str:
    """The card as a column shows it: its last four digits (the line below the list shows it all)."""
    return f"****{one_line(masked)[-4:]}" if masked else DASH


# -- recent sales ------------------------------------------------------------------------------------------

def sale_headers(language: str) -> tuple[str, ...]:
    return tuple(label(f"sales.{column}", language) for column in SALE_COLUMNS)


def sale_outcome(line: SaleLine, language: str) -> str:
    if line.live:
        return label("sales.live", language)
    if line.paid_by is not None:
        return label("sales.paid_by", language, method=named("payment", line.paid_by, language))
    if line.charge is None:
        return DASH
    return named("sales", f"charge_{line.charge}", language)


def sale_cells(line: SaleLine, language: str, tz: tzinfo | None) -> tuple[str, ...]:
    return (when(line.started_at, tz), one_line(line.sale_id), str(line.amount), last_four(line.masked),
            sale_outcome(line, language), ", ".join(one_line(flow_id) for flow_id in line.followed) or DASH)


def sale_detail(line: SaleLine, language: str, tz: tzinfo | None) -> Text:
    """The chosen sale's facts in full, to check against what the customer holds."""
    facts = [("facts.time", show_fact(line.sent_at or line.started_at, tz)), ("facts.amount", str(line.amount))]
    if line.masked:
        facts.append(("facts.masked", one_line(line.masked)))
    if line.stan:
        facts.append(("facts.stan", one_line(line.stan)))
    if line.receipt_id:
        facts.append(("sales.receipt", one_line(line.receipt_id)))
    facts.append(("sales.outcome", sale_outcome(line, language)))
    if line.followed:
        facts.append(("sales.followed", ", ".join(one_line(flow_id) for flow_id in line.followed)))
    return _facts(facts, language)


# -- cases and follow-ups ----------------------------------------------------------------------------------

def case_headers(language: str) -> tuple[str, ...]:
    return tuple(label(f"cases.{column}", language) for column in CASE_COLUMNS)


def followup_headers(language: str) -> tuple[str, ...]:
    return tuple(label(f"followups.{column}" if column == "due" else f"cases.{column}", language)
                 for column in FOLLOWUP_COLUMNS)


def due_text(row: CaseRow | Case, language: str, tz: tzinfo | None, form: str = SHORT) -> Text:
    """When to follow up next, OVERDUE in red once it has passed; 'closed' for a closed case."""
    if row.state != "open" or row.next_followup is None:
        return Text(label("cases.closed", language), style="dim")
    text = Text(when(row.next_followup, tz, form))
    if row.overdue:
        text.append(" " + label("cases.overdue", language), style="bold red")
    return text


def case_cells(row: CaseRow, language: str, tz: tzinfo | None) -> tuple[str | Text, ...]:
    return (one_line(row.case_id), flow_name(row.case_type, language), str(row.amount) if row.amount else DASH,
            str(row.attempts), due_text(row, language, tz))


def last_attempt(row: CaseRow, language: str, tz: tzinfo | None, at: bool = True) -> str:
    """'01-05 12:00 SMS sent' (without the time in a column: the line under the list has it)."""
    attempt = row.last_attempt
    if attempt is None:
        return DASH
    said = f"{named('channel', attempt.channel, language)} {named('outcome', attempt.outcome, language)}"
    return f"{when(attempt.at, tz)} {said}" if at else said


def followup_cells(row: CaseRow, language: str, tz: tzinfo | None) -> tuple[str | Text, ...]:
    return (due_text(row, language, tz), one_line(row.case_id), flow_name(row.case_type, language),
            last_attempt(row, language, tz, at=False))


def case_row_detail(row: CaseRow, language: str, tz: tzinfo | None) -> Text:
    """The highlighted case, under the list: when it opened, the amount and the full masked card, its last
    attempt."""
    facts = [("cases.opened", when(row.opened_at, tz, FULL)), ("cases.amount", str(row.amount) if row.amount else DASH)]
    if row.masked:
        facts.append(("facts.masked", one_line(row.masked)))
    facts.append(("cases.last", last_attempt(row, language, tz)))
    return _facts(facts, language)


# -- one case ----------------------------------------------------------------------------------------------

def case_heading(case: Case, language: str) -> Text:
    state = label(f"cases.state_{case.state}", language) if case.state in ("open", "closed") \
        else one_line(case.state)
    return Text(label("case.heading", language, case_id=one_line(case.case_id),
                      type=flow_name(case.case_type, language), state=state), style="bold")


def case_facts(case: Case, contact: str, language: str, tz: tzinfo | None) -> Text:
    """Everything on record about the case but its attempts, one fact a line where it matters."""
    lines = [
        [("cases.opened", when(case.opened_at, tz, FULL)),
         ("cases.sales", ", ".join(one_line(sale) for sale in case.sale_ids) or DASH)],
        [("cases.amount", str(case.amount) if case.amount else DASH),
         ("facts.masked", one_line(case.masked) if case.masked else DASH)],
        [("case.contact", contact)],
    ]
    if case.state == "open":
        lines.append([("cases.next", due_text(case, language, tz, FULL))])
    for escalation in case.escalations:
        lines.append([("case.escalated", f"{when(escalation.at, tz, FULL)}  {one_line(escalation.reason)}")])
    if case.closed_at is not None:
        closed = label("case.closed_by", language, resolution=named("resolution", case.resolution, language),
                       when=when(case.closed_at, tz, FULL), who=one_line(case.closed_by or DASH))
        method = method_noted(case.close_note) if case.resolution == "paid_later" else None
        if method is not None:  # the note on record names the method in English: said in the screen's words
            closed += " — " + label("case.paid_method", language, method=named("payment", method, language))
        elif case.close_note:
            closed += f" — {one_line(case.close_note)}"
        lines.append([("case.closed", closed)])
    text = Text()
    for number, line in enumerate(lines):
        if number:
            text.append("\n")
        text.append_text(_facts(line, language))
    return text


def attempt_headers(language: str) -> tuple[str, ...]:
    return tuple(label(f"case.{column}", language) for column in ATTEMPT_COLUMNS)


def attempt_cells(attempt: Attempt, language: str, tz: tzinfo | None) -> tuple[str, ...]:
    return (when(attempt.at, tz), named("channel", attempt.channel, language),
            named("outcome", attempt.outcome, language), one_line(attempt.who or DASH),
            one_line(attempt.note or ""))


def _facts(facts: list[tuple[str, str | Text]], language: str) -> Text:
    text = Text()
    for key, value in facts:
        if text:
            text.append("  ·  ")
        text.append(label(key, language) + " ", style="dim")
        if isinstance(value, Text):
            text.append_text(value)
        else:
            text.append(value, style="bold")
    return text
