"""The outbox: notifications drafted for the customer, for the cashier to send or call by hand.

Templates are data (zh-CN and en) and state the facts — time, amount, masked card, what happens next,
the store's contact line — and never more than a masked card. The time is on the store's wall clock
(`[cases] timezone`; the PC's own zone when none is set), as the customer's receipt printed it. Drafting
journals the exact text the customer will receive; sending by other channels comes later, from the same
drafts.
"""

from __future__ import annotations

import functools
import tomllib
from datetime import datetime, tzinfo
from importlib import resources
from typing import Any

from agent.journal import Journal
from domain.effects import SaleFacts

DRAFTED = "notification_drafted"


class TemplateError(KeyError):
    pass


@functools.cache
def _templates() -> dict[str, dict[str, str]]:
    return tomllib.loads(resources.files("agent").joinpath("templates.toml").read_text(encoding="utf-8"))


def render(template: str, sale: SaleFacts, store_line: str, zone: tzinfo | None = None) -> dict[str, str]:
    """Both languages of one template, filled with the sale's facts (masked card only); times in `zone`,
    the store's, or the PC's own when it is None."""
    texts = _templates().get(template)
    if texts is None:
        raise TemplateError(f"no notification template {template!r}")
    when = sale.sent_at.astimezone(zone) if isinstance(sale.sent_at, datetime) else None
    facts: dict[str, Any] = {
        "amount": str(sale.amount), "masked": str(sale.masked) if sale.masked else "-",
        "time": when.strftime("%Y-%m-%d %H:%M") if when else "-", "stan": str(sale.stan) if sale.stan else "-",
        "store": store_line,
    }
    return {language: text.format(**facts) for language, text in texts.items()}


class Outbox:
    def __init__(self, journal: Journal, store_line: str, zone: tzinfo | None = None) -> None:
        self._journal = journal
        self._store_line = store_line
        self._zone = zone

    def draft(self, case_id: str, template: str, sale: SaleFacts, contact_id: str | None) -> dict[str, str]:
        texts = render(template, sale, self._store_line, self._zone)
        self._journal.append(DRAFTED, {"case_id": case_id, "template": template, "channel": "outbox",
                                       "contact_id": contact_id, "text": texts}, stream=case_id)
        return texts

    def draft_for_case(self, case_id: str, template: str, sale: SaleFacts) -> dict[str, str] | None:
        """Draft the message for the case's customer; a case without contact details has no one to tell."""
        rows = self._journal.query("SELECT cases.contact_id, contacts.declined FROM cases LEFT JOIN contacts "
                                   "ON contacts.contact_id = cases.contact_id WHERE case_id = ?", (case_id,))
        contact_id, declined = rows[0] if rows else (None, None)
        if contact_id is None or declined:
            reason = "the customer declined to leave contact details" if declined else "no contact details on the case"
            self._journal.append("notification_not_drafted", {"case_id": case_id, "template": template,
                                                              "reason": reason}, stream=case_id)
            return None
        return self.draft(case_id, template, sale, contact_id)

    def drafts(self) -> list[dict[str, Any]]:
        return [event.payload | {"at": event.at.isoformat()} for event in self._journal.events(kind=DRAFTED)]
