"""What the screens put on the terminal, as `rich.text.Text` built from plain strings: never parsed as
markup, and every string that came from a device, the acquirer or a person sanitised first.

Pure functions, so the wording of the screens is tested without running the app.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from agent.contacts import Contact
from agent.counter import Screen as CounterScreen
from agent.journal.errors import CardDataRefused
from agent.journal.guard import check_payload
from agent.ui.labels import label
from agent.ui.reasons import link_down, money_problem
from agent.ui.sanitise import sanitise
from agent.ui.wrap import Wrapped
from domain.effects import ShowPrompt
from domain.events import DeviceState, PrinterCondition
from domain.money import Money, MoneyError
from flows import prompts

# prompts.toml names keys as the cashier reads them; Textual names them its own way.
_TEXTUAL_KEYS = {"Esc": "escape"}
# The facts shown above a recovery's steps, in this order, when the prompt has them.
FACTS = ("time", "amount", "masked", "stan", "code", "auth_code", "reason")
REFERENCE_MAX = 40
RECEIPT_MAX = 40


class EntryProblem(ValueError):
    """What is wrong with the amount or the reference, in the cashier's language."""


def sale_entry(amount: str, reference: str, language: str) -> tuple[Money, str | None]:
    """The amount and order reference as typed, checked: (money, reference or None), or `EntryProblem`."""
    text = amount.strip()
    if not text:
        raise EntryProblem(label("sale.amount_empty", language))
    try:
        money = Money.parse(text)
    except MoneyError as exc:
        raise EntryProblem(label("sale.amount_bad", language, problem=money_problem(exc, language))) from None
    if money.minor == 0:
        raise EntryProblem(label("sale.amount_zero", language))
    cleaned = sanitise(reference, single_line=True).strip() or None
    if cleaned is not None and len(cleaned) > REFERENCE_MAX:
        raise EntryProblem(label("sale.reference_bad", language, max=REFERENCE_MAX))
    return money, cleaned


def till_receipt(text: str, language: str) -> str | None:
    """The till's receipt number as typed, checked: None when left empty, or `EntryProblem`. It is journaled
    and printed on the NOT PAID slip, so a card number typed by mistake is refused here, as the journal would."""
    cleaned = sanitise(text, single_line=True).strip()
    if not cleaned:
        return None
    if len(cleaned) > RECEIPT_MAX:
        raise EntryProblem(label("sales.receipt_long", language, max=RECEIPT_MAX))
    try:
        check_payload("receipt_unpaid_reported", {"receipt_id": cleaned})
    except CardDataRefused:
        raise EntryProblem(label("sales.receipt_card", language)) from None
    return cleaned


def textual_key(key: str) -> str:
    """'F4' -> 'f4', 'Esc' -> 'escape'."""
    return _TEXTUAL_KEYS.get(key, key.lower())


def local_zone(tz: tzinfo | None) -> tzinfo:
    """The zone times are shown in: the one given, else this PC's."""
    return tz if tz is not None else datetime.now().astimezone().tzinfo  # type: ignore[return-value]


def clean_facts(prompt: ShowPrompt) -> ShowPrompt:
    """The prompt with every text fact sanitised to one line (money and times are ours, kept typed)."""
    return ShowPrompt(prompt.prompt_id, {key: sanitise(value, single_line=True) if isinstance(value, str) else value
                                         for key, value in prompt.facts.items()})


def render(prompt: ShowPrompt, language: str, tz: tzinfo | None) -> prompts.Screen:
    """The prompt in the cashier's language, sanitised; a prompt the catalogue cannot render still shows,
    as its id and the reason, rather than taking the app down."""
    try:
        screen = prompts.render(clean_facts(prompt), language, local_zone(tz))
    except prompts.PromptCatalogueError as exc:
        return prompts.Screen(sanitise(prompt.prompt_id, single_line=True), (sanitise(exc, single_line=True),), ())
    actions = tuple((key, sanitise(name, single_line=True), action) for key, name, action in screen.actions)
    return prompts.Screen(sanitise(screen.title, single_line=True),
                          tuple(sanitise(step, single_line=True) for step in screen.steps), actions)


def prompt_body(screen: prompts.Screen, note: str = "") -> Group:
    """Title, then the numbered steps with a hanging indent (a long Chinese step wraps under its text, not
    under its number), then an optional note; broken into lines the way Chinese print breaks them."""
    steps = Table.grid(padding=(0, 1))
    steps.add_column(no_wrap=True, justify="right")
    steps.add_column(ratio=1)
    for number, step in enumerate(screen.steps, 1):
        steps.add_row(Text(f"{number}.", style="bold"), Wrapped(step))
    parts: list[Wrapped | Table] = [Wrapped(screen.title, style="bold"), steps]
    if note:
        parts.append(Wrapped(note, style="italic"))
    return Group(*parts)


def prompt_plain(screen: prompts.Screen, note: str = "") -> str:
    """The same as plain text: what the cashier reads, for tests and logs."""
    lines = [screen.title, *(f"{number}. {step}" for number, step in enumerate(screen.steps, 1))]
    return "\n".join([*lines, note] if note else lines)


def actions_text(actions: tuple[tuple[str, str, str], ...]) -> Text:
    """'F3 Pay another way   F4 Customer leaves'."""
    text = Text()
    for index, (key, name, _action) in enumerate(actions):
        if index:
            text.append("   ")
        text.append(f" {key} ", style="reverse bold")
        text.append(f" {name}")
    return text


def show_fact(value: Any, tz: tzinfo | None) -> str:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(local_zone(tz)).strftime("%Y-%m-%d %H:%M:%S")
    return sanitise(value, single_line=True)


def facts_text(prompt: ShowPrompt, language: str, tz: tzinfo | None) -> Text:
    """The transaction's facts: 'Time 2026-01-05 10:00:00 · Amount CNY 30.00 · Card 411111******1111'."""
    text = Text()
    for key in FACTS:
        if key not in prompt.facts:
            continue
        if text:
            text.append("  ·  ")
        text.append(label(f"facts.{key}", language) + " ", style="dim")
        text.append(show_fact(prompt.facts[key], tz), style="bold")
    return text


def status_text(screen: CounterScreen, round_trip_ms: float | None, language: str) -> Text:
    """The device line: reader, printer, and the acquirer link with its round-trip time. The reader's own
    account of why it is offline is in the driver's words, so the Chinese line says only that it is."""
    text = Text()

    def part(name: str, state: str, style: str) -> None:
        if text:
            text.append("  │  ", style="dim")
        text.append(label(f"status.{name}", language) + " ")
        text.append("● ", style=style)
        text.append(state, style=style)

    unknown = label("status.unknown", language)
    if screen.reader is None:
        part("reader", unknown, "yellow")
    else:
        online = screen.reader.state is DeviceState.ONLINE
        state = label(f"status.{'online' if online else 'offline'}", language)
        # The driver's detail is the integrator's, in English: shown beside the state in English only.
        detail = sanitise(screen.reader.detail, single_line=True) if language == "en" else ""
        part("reader", f"{state} ({detail})" if detail and not online else state, "green" if online else "red")
    if screen.printer is None:
        part("printer", unknown, "yellow")
    else:
        faults = sorted((c for c in screen.printer if c is not PrinterCondition.OK), key=lambda c: c.value)
        names = label("app.and", language).join(label(f"printer.{c.value}", language) for c in faults) if faults \
            else label("printer.ok", language)
        part("printer", names, "red" if faults else "green")
    if screen.link_up is None:
        part("link", unknown, "yellow")
    elif screen.link_up:
        state = label("status.up", language)
        if round_trip_ms is not None:
            state += " " + label("status.round_trip", language, ms=f"{round_trip_ms:g}")
        part("link", state, "green")
    else:
        part("link", label("status.down", language), "red")
    return text


def paused_text(paused: bool, cause: str | None, language: str) -> Text:
    """The banner while card payments are paused, saying why the link is down (`agent.host.DOWN_CAUSES`)."""
    if not paused:
        return Text()
    return Text(label("status.paused", language, reason=link_down(cause, language)), style="bold")


def contact_summary(contact: Contact) -> tuple[tuple[str, ...], str]:
    """The saved contact as the cashier may see it: its masked details, and the preferred channel."""
    details = contact.details
    shown = (details.masked_name, details.masked_phone, details.masked_email, details.masked_wechat_id)
    return tuple(sanitise(value, single_line=True) for value in shown if value), details.channel.value


def flow_name(flow: str, language: str) -> str:
    try:
        return label(f"flow.{flow}", language)
    except ValueError:
        return sanitise(flow, single_line=True)
