"""Why an amount, a contact detail, a late payment, a cashier's report or action, a case's field, a case as
it stands, a message to the customer was refused, why a contact cannot be shown, and why the bank link is
down, in the cashier's language.

The checks never hand the screen an English sentence to show or to pick apart: a refusal carries a code and
the facts it names (`MoneyError`, `ContactError`, `NotOwed`, `CounterRefused`, `CaseInputError`,
`CaseNotFound`, `CaseAlreadyClosed`, `NotifyError`, `ContactUnavailable`, `ContactKeyError`; the notifier's
`SendResult.reason`), the link its cause (`HostService.down_cause`), and the words for each are labels in both
languages (labels.toml: money_error, contact_error, phone_number, payment_refused, counter_refused,
case_error, case_refused, notify_refused, contact_unreadable, link_down). A fact can come from what a person
typed, so each is sanitised before it is shown.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, tzinfo

from agent.cases import CaseAlreadyClosed, CaseInputError, CaseNotFound
from agent.contacts import Channel, ContactError, ContactKeyError, ContactUnavailable
from agent.counter import CounterRefused
from agent.late_payment import NotOwed
from agent.notify import NotifyError
from agent.notify.sender import AGENT
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


def case_refused(error: CaseNotFound | CaseAlreadyClosed, language: str, tz: tzinfo | None) -> str:
    """A case that is not there, or already closed, as the manager asked something of it."""
    facts = dict(error.facts)
    for name in ("near", "open"):
        if name in facts:
            facts[name] = _listed(facts[name], language)
    if "resolution" in facts:
        facts["resolution"] = named("resolution", str(facts["resolution"]), language)
    return label(f"case_refused.{error.code}", language, **_shown(_times(facts, tz)))


def contact_unreadable(error: ContactUnavailable | ContactKeyError, language: str) -> str:
    """Why the case's contact cannot be shown: the facts (ids, key ids) are the integrator's, not said."""
    return label(f"contact_unreadable.{error.code}", language)


def notify_problem(error: NotifyError, language: str, tz: tzinfo | None) -> str:
    """Why the notifier will not do what was asked with a message (send it, record what was done)."""
    facts = dict(error.facts)
    if error.code == "channel_unknown":
        facts["choices"] = label("app.and", language).join(named("channel", str(choice), language)
                                                           for choice in facts["choices"])
    elif error.code == "outcome_unknown":
        facts["choices"] = label("app.and", language).join(named("outcome", str(choice), language)
                                                           for choice in facts["choices"])
    else:
        for name in ("channel", "sent_by"):
            if name in facts:
                facts[name] = named("channel", str(facts[name]), language)
    if facts.get("who") == AGENT:  # the notifier on its own, not a person
        facts["who"] = label("message.by_agent", language)
    if "state" in facts:
        facts["state"] = named("message_state", str(facts["state"]), language)
    if error.code == "not_unknown":
        facts["outcome"] = named("outcome", str(facts["outcome"]), language)
    return label(f"notify_refused.{error.code}", language, **_shown(_times(facts, tz)))


def unreachable(reason: str, language: str) -> str:
    """Why nobody may be told: no contact, declined, purged, a contact not on record (`SendResult.reason`)."""
    return label(f"notify_refused.{reason}", language)


def link_down(cause: str | None, language: str) -> str:
    """Why card payments are paused; a link reported down by no host service says only that it is down."""
    return label(f"link_down.{cause or 'down'}", language)


def _lengths(lengths: tuple[int, ...], language: str) -> str:
    if not lengths:
        return ""
    if len(lengths) == 1:
        return label("contact_error.lengths_one", language, digits=lengths[0])
    return label("contact_error.lengths_range", language, shortest=min(lengths), longest=max(lengths))


def _listed(values: object, language: str) -> str:
    items = values if isinstance(values, tuple | list) else (values,)
    return label("app.and", language).join(sanitise(item, single_line=True) for item in items)


def _times(facts: dict[str, object], tz: tzinfo | None) -> dict[str, object]:
    """Moments in the shop's zone (this PC's when none is given), to the minute, as the lists show them."""
    return {name: value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime)
            else value for name, value in facts.items()}


def _shown(facts: dict[str, object]) -> dict[str, str]:
    return {name: sanitise(value, single_line=True) for name, value in facts.items()}
