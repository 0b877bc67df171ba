"""What the simulator's panels show, built from the session's state as `rich.text.Text` (never parsed as
markup): pure functions, so the wording is tested without running the app.

The cashier's panel is the cashier app's own view code (`agent.ui.view`): the same status line, banner,
prompts, facts and action keys, drawn from the same `Desk` the cashier app keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.counter import Counter
from agent.ui.desk import Desk, Matter
from agent.ui.labels import label
from agent.ui.sanitise import sanitise
from agent.ui.view import (
    actions_text,
    facts_text,
    flow_name,
    paused_text,
    prompt_body,
    prompt_plain,
    render,
    status_text,
)
from domain.events import PrinterCondition
from simulator.replay.engine import StepResult
from simulator.replay.steps import Step

SOURCES = {"step": "bold", "agent": "cyan", "reader": "green", "printer": "magenta", "acquirer": "yellow",
           "sim": "bold red"}
MARKS = {True: "✓", False: "✗"}
NEXT, LATER = "▶", "·"


@dataclass(frozen=True)
class Shown:
    """One prompt as drawn: its body, the same as plain text, and the keys it offers."""

    body: RenderableType
    plain: str
    actions: Text


@dataclass(frozen=True)
class CashierView:
    status: Text
    banner: Text
    till: Shown | None  # the sale keyed at the till; None while it is the recovery itself
    heading: Text  # the recovery's flow, and how many others are open
    facts: Text
    recovery: Shown | None  # the recovery being worked on
    keyed: tuple[Matter, ...]  # whose action keys are live, the recovery's first


def shown(matter: Matter, language: str, tz: tzinfo | None, note: str = "") -> Shown:
    screen = render(matter.prompt, language, tz)
    offered = tuple(action for action in screen.actions if action[2] in matter.actions)
    return Shown(prompt_body(screen, note), prompt_plain(screen, note), actions_text(offered))


def cashier_view(desk: Desk, counter: Counter, language: str, tz: tzinfo | None) -> CashierView:
    host = counter.host
    status = status_text(counter.screen, host.round_trip_ms if host is not None else None, language)
    banner = paused_text(counter.screen.card_payments_paused is not None, counter.pause_cause, language)
    sale, recovery = desk.current_sale(), desk.follow()
    if sale is not None and sale is recovery:
        till = None
    elif sale is None:
        idle = label("sale.idle", language)
        till = Shown(Text(idle), idle, Text())
    else:
        till = shown(sale, language, tz)
    keyed = tuple(m for m in (recovery, sale if sale is not recovery else None) if m is not None)
    if recovery is None:
        return CashierView(status, banner, till, Text(), Text(), None, keyed)
    note = "" if recovery.live else label("recovery.finished", language)
    return CashierView(status, banner, till, _heading(desk, recovery, language),
                       facts_text(recovery.prompt, language, tz), shown(recovery, language, tz, note), keyed)


def _heading(desk: Desk, recovery: Matter | None, language: str) -> Text:
    if recovery is None:
        return Text()
    title = Text(label("recovery.heading", language, flow=flow_name(recovery.flow, language)), style="bold")
    title.append(f"  {recovery.flow_id}", style="dim")
    others = len([m for m in desk.recoveries() if m.flow_id != recovery.flow_id])
    if others:
        title.append("  " + label("recovery.others", language, count=others), style="italic")
    return title


# -- the devices ---------------------------------------------------------------------------------------------

def printer_text(printer: Any) -> Text:
    """The printer's state, a line a toggle, each with its key; a fault in red."""
    conditions = printer.conditions
    paper = "END" if PrinterCondition.PAPER_END in conditions else \
        "near end" if PrinterCondition.PAPER_NEAR_END in conditions else "ok"
    lines = (("p", "paper", paper, paper != "ok"),
             ("o", "cover", "OPEN" if PrinterCondition.COVER_OPEN in conditions else "closed",
              PrinterCondition.COVER_OPEN in conditions),
             ("f", "line", "OFFLINE" if PrinterCondition.OFFLINE in conditions else "online",
              PrinterCondition.OFFLINE in conditions),
             ("m", "status", "SILENT" if printer.silent else "answers", printer.silent))
    text = Text()
    for key, name, state, bad in lines:
        if text:
            text.append("\n")
        text.append(f" {key} ", style="reverse bold")
        text.append(f" {name:<7}")
        text.append(state, style="bold red" if bad else "green")
    return text


def printer_title(printer: Any) -> str:
    return f"Printer · {len(printer.receipts)} receipt(s)" + (f", {printer.lost} bytes lost" if printer.lost else "")


def acquirer_text(acquirer: Any) -> Text:
    """Link, fault in force and overrides: what the acquirer will do to the next request."""
    text = Text()
    if acquirer.refusing:
        text.append("link DOWN", style="bold red")
    else:
        text.append("link up", style="green")
        text.append(f" · {acquirer.connections} connection(s)", style="dim")
    fault = acquirer.faults.current
    text.append("\nfault: ")
    text.append(fault.describe() if fault is not None else "none", style="bold red" if fault else "dim")
    rules = acquirer.rules
    overrides = [f"next {rules.next_left}: {rules.next_code}"] if rules.next_left else []
    overrides += [f"{card.masked}: {code}" for card, code in rules.cards.items()]
    overrides += ["expiry checked"] if rules.check_expiry else []
    text.append("\nrules: ")
    text.append("; ".join(overrides) or "none", style="bold yellow" if overrides else "dim")
    return text


def clock_text(clock: Any, tz: tzinfo | None) -> Text:
    """The virtual clock: the time at the counter, time since the start, and the next timer due."""
    now = clock.now().astimezone(tz) if tz is not None else clock.now()
    text = Text("⏱ ")
    text.append(now.strftime("%m-%d %H:%M:%S"), style="bold")
    text.append(f" t={seconds(clock.monotonic())}")
    due = clock.next_due()
    text.append(f" (timer in {seconds(due - clock.monotonic())})" if due is not None else " (no timer)", style="dim")
    return text


def seconds(value: float) -> str:
    if value < 120:
        return f"{value:.4g} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


# -- the steps and the log -----------------------------------------------------------------------------------

def step_rows(ran: list[tuple[StepResult, int | None]], remaining: tuple[Step, ...],
              first_remaining: int) -> list[tuple[str, list[str | Text]]]:
    """The steps taken, each with its result, then the scenario's steps still to come, the next marked."""
    rows: list[tuple[str, list[str | Text]]] = []
    for result, index in ran:
        mark = Text(MARKS[result.ok], style="green" if result.ok else "bold red")
        where = f"{index + 1}" if index is not None else "·"
        rows.append((f"ran-{result.number}", [str(result.number), where, mark, result.step.describe(),
                                             sanitise(result.detail, single_line=True)]))
    for offset, step in enumerate(remaining):
        mark = Text(NEXT if offset == 0 else LATER, style="bold" if offset == 0 else "dim")
        rows.append((f"todo-{first_remaining + offset}", ["", str(first_remaining + offset + 1), mark,
                                                         step.describe(), ""]))
    return rows


def clipped(text: str, width: int) -> str:
    """One cell of a table: at most `width` columns, an ellipsis where it was cut."""
    return text if len(text) <= width else text[:width - 1] + "…"


def log_line(at: float | None, source: str, text: str) -> Table:
    """One event: when (virtual seconds), from whom, what — a long one wrapped under its own column."""
    line = Table.grid(padding=(0, 1))
    line.add_column(width=10, justify="right", no_wrap=True)
    line.add_column(width=8, no_wrap=True)
    line.add_column(ratio=1, overflow="fold")
    line.add_row(Text(f"{at:.2f}s" if at is not None else "", style="dim"),
                 Text(source, style=SOURCES.get(source, "")), Text(sanitise(text, single_line=True)))
    return line


def log_plain(at: float | None, source: str, text: str) -> str:
    """The same line as text, for tests."""
    return f"{f'{at:.2f}s' if at is not None else '':>10} {source:<8} {sanitise(text, single_line=True)}"
