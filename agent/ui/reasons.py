"""Why an amount, a contact detail, a late payment, a cashier's report or action, or a case's field was
refused, and why the bank link is down, in the cashier's language.

The checks never hand the screen an English sentence to show or to pick apart: a refusal carries a code and
the facts it names (`MoneyError`, `ContactError`, `NotOwed`, `CounterRefused`, `CaseInputError`), the link its
cause (`HostService.down_cause`), and the words for each are labels in both languages (labels.toml:
money_error, contact_error, phone_number, payment_refused, counter_refused, case_error, link_down). A fact can
come from what a person typed, so each is sanitised before it is shown.
"""

from __future__ import annotations

import contextlib

from agent.cases import CaseInputError
from agent.contacts import Channel, ContactError
from agent.counter import CounterRefused
from agent.late_payment import NotOwed
from agent.ui.labels import LabelsError, label, named
from agent.ui.sanitise import sanitise
from domain.money import MoneyError

# Refusals of a phone number that name what kind of number it looked like, and the lengths it may have.
_NUMBER_NAMED = ("phone_too_long", "phone_too_short", "phone_local_only", "phone_invalid")


def money_problem(error: MoneyError, language: str) -> str:
    return label(f"money_error.{error.code}", language, **_shown(error.facts))


def contact_problem(error: ContactError, language: str) -> str:
    facts = dict(error.facts)
    if error.code in _NUMBER_NAMED:
        kind = str(facts.pop("kind", "") or "any")
        facts["number"] = label(f"phone_number.{kind}", language, region=sanitise(facts.pop("region", ""),
                                                                                  single_line=True))
        facts["lengths"] = _lengths(tuple(facts.pop("lengths", ())), language)
    elif error.code == "channel_unknown":
        facts["choices"] = label("app.and", language).join(label(f"channel.{channel.value}", language)
                                                           for channel in Channel)
    elif error.code == "channel_needs_phone":
        facts["channel"] = label(f"channel.{facts['channel']}", language)
    return label(f"contact_error.{error.code}", language, **_shown(facts))


def payment_problem(error: NotOwed, language: str) -> str:
    facts = dict(error.facts)
    if "case_type" in facts:
        with contextlib.suppress(LabelsError):  # a type this app has no words for: named as the store has it
            facts["case_type"] = label(f"flow.{facts['case_type']}", language)
    return label(f"payment_refused.{error.code}", language, **_shown(facts))


def counter_problem(error: CounterRefused, language: str) -> str:
    facts = dict(error.facts)
    if "method" in facts:
        facts["method"] = named("take_back", str(facts["method"]), language)
    if "state" in facts:  # the case's state, or how it was resolved
        state = str(facts["state"])
        facts["state"] = label("cases.state_open", language) if state == "open" \
            else named("resolution", state, language)
    if "flows" in facts:
        facts["flows"] = label("app.and", language).join(sanitise(flow, single_line=True) for flow in facts["flows"])
    return label(f"counter_refused.{error.code}", language, **_shown(facts))


def case_problem(error: CaseInputError, language: str) -> str:
    """What is wrong with the field, without naming it: the form shows it under the field."""
    facts = dict(error.facts)
    if error.code == "outcome_unknown":
        facts["channel"] = named("channel", str(facts["channel"]), language)
    return label(f"case_error.{error.code}", language, **_shown(facts))


def link_down(cause: str | None, language: str) -> str:
    """Why card payments are paused; a link reported down by no host service says only that it is down."""
    return label(f"link_down.{cause or 'down'}", language)


def _lengths(lengths: tuple[int, ...], language: str) -> str:
    if not lengths:
        return ""
    if len(lengths) == 1:
        return label("contact_error.lengths_one", language, digits=lengths[0])
    return label("contact_error.lengths_range", language, shortest=min(lengths), longest=max(lengths))


def _shown(facts: dict[str, object]) -> dict[str, str]:
    return {name: sanitise(value, single_line=True) for name, value in facts.items()}
