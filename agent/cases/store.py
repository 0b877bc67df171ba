"""The case store: what the manager reads about cases and follow-ups, and the two things a person adds —
a contact attempt, and the closing of a case.

Follow-up times are derived on reading (see `schedule`), from the projection's facts and the current
settings; the journal records only what people and the counter did.
"""

from __future__ import annotations

import difflib
import json
from datetime import UTC, datetime
from typing import Any

from agent.cases import checks, schedule
from agent.cases.errors import CaseAlreadyClosed, CaseNotFound
from agent.cases.model import CASE_TYPES, Attempt, Case, CaseRow, Escalation
from agent.cases.projection import ATTEMPT_RECORDED, CLOSED, ESCALATED
from agent.cases.settings import CaseSettings
from agent.journal import Journal
from domain.clock import Clock
from domain.money import Money

_CASE_COLUMNS = ("case_id, case_type, opened_at, sale_ids, amount_minor, currency, masked, contact_id, state, "
                 "resolution, closed_at, closed_by, close_note")
_NEAR_SHOWN = 5


class CaseStore:
    def __init__(self, journal: Journal, clock: Clock, settings: CaseSettings | None = None) -> None:
        self._journal = journal
        self._clock = clock
        self.settings = settings or CaseSettings()

    # -- reading ---------------------------------------------------------------------------------

    def list(self, state: str | None = None, overdue: bool = False, case_type: str | None = None) -> list[CaseRow]:
        """Cases oldest first; `overdue` keeps the open ones whose follow-up time has passed."""
        state = checks.state(state)
        case_type = checks.case_type(case_type, self.case_types())
        where, params = [], []
        if state is not None:
            where.append("state = ?")
            params.append(state)
        if case_type is not None:
            where.append("case_type = ?")
            params.append(case_type)
        rows = [_row_of(case) for case in self._cases(" AND ".join(where), tuple(params))]
        return [row for row in rows if row.overdue] if overdue else rows

    def followups(self, until: datetime | None = None) -> list[CaseRow]:
        """Open cases by next follow-up time, earliest (the most overdue) first; only those due by `until`
        when given."""
        rows = [_row_of(case) for case in self._cases("state = 'open'", ())]
        if until is not None:
            rows = [row for row in rows if row.next_followup is not None and row.next_followup <= until]
        return sorted(rows, key=lambda row: (row.next_followup, row.case_id))

    def get(self, case_id: str) -> Case:
        case_id = checks.text("case_id", case_id, limit=checks.LABEL_MAX, required=True)
        found = self._cases("case_id = ?", (case_id,))
        if not found:
            raise self._not_found(case_id)
        return found[0]

    def case_types(self) -> tuple[str, ...]:
        """The known types and any other a flow has opened, so filtering never refuses a real one."""
        on_record = [kind for (kind,) in self._journal.query("SELECT DISTINCT case_type FROM cases ORDER BY 1")]
        return tuple(dict.fromkeys([*CASE_TYPES, *on_record]))

    # -- writing ---------------------------------------------------------------------------------

    def record_attempt(self, case_id: str, *, channel: str, outcome: str, who: str, template: str | None = None,
                       note: str | None = None, at: datetime | None = None) -> Case:
        """Journal one contact attempt; the case's next follow-up moves on from it.

        A closed case takes attempts too: the counter closes a case when the money is right, and telling
        the customer so (from the outbox) often comes after.
        """
        case = self.get(case_id)
        channel, outcome = checks.channel_and_outcome(channel, outcome)
        payload = {
            "case_id": case.case_id, "channel": channel, "outcome": outcome,
            "who": checks.who(who),
            "template": checks.text("template", template, limit=checks.LABEL_MAX, required=False),
            "note": checks.free_text("note", note),
            "attempted_at": checks.attempt_time(at, case.opened_at, self._clock.now()).astimezone(UTC).isoformat(),
        }
        self._journal.append(ATTEMPT_RECORDED, payload, stream=case.case_id, at=self._clock.now())
        return self.get(case.case_id)

    def escalate(self, case_id: str, *, reason: str, who: str) -> Case:
        """Hand an open case on — to the bank, the acquirer or a legal route — when following up has not
        settled it (a customer who does not pay). The case stays open until it is settled."""
        with self._journal.transaction():
            case = self.get(case_id)
            if case.state == "closed":
                raise CaseAlreadyClosed(f"case {case.case_id} is closed ({case.resolution}): nothing to escalate",
                                        code="closed_no_escalation", case_id=case.case_id,
                                        resolution=case.resolution)
            checks.text("reason", reason, limit=checks.NOTE_MAX, required=True)
            payload = {"case_id": case.case_id, "reason": checks.free_text("reason", reason),
                       "who": checks.who(who)}
            self._journal.append(ESCALATED, payload, stream=case.case_id, at=self._clock.now())
        return self.get(case.case_id)

    def close(self, case_id: str, *, resolution: str, who: str, note: str | None = None) -> Case:
        """Close an open case with how it was settled; the first closure of a case stands."""
        with self._journal.transaction():
            case = self.get(case_id)
            if case.state == "closed":
                assert case.closed_at is not None
                when = schedule.to_local(case.closed_at, self.settings).strftime("%Y-%m-%d %H:%M")
                raise CaseAlreadyClosed(f"case {case.case_id} is already closed: {case.resolution}, on {when} "
                                        f"by {case.closed_by}", code="already_closed", case_id=case.case_id,
                                        resolution=case.resolution, at=case.closed_at, who=case.closed_by)
            payload = {"case_id": case.case_id, "resolution": checks.resolution(resolution),
                       "who": checks.who(who),
                       "note": checks.free_text("note", note)}
            self._journal.append(CLOSED, payload, stream=case.case_id, at=self._clock.now())
        return self.get(case.case_id)

    # -- internals -------------------------------------------------------------------------------

    def _cases(self, where: str, params: tuple[Any, ...]) -> list[Case]:
        sql = f"SELECT {_CASE_COLUMNS} FROM cases" + (f" WHERE {where}" if where else "") + \
            " ORDER BY opened_at, case_id"
        rows = self._journal.query(sql, params)
        if not rows:
            return []
        ids = tuple(row[0] for row in rows)
        marks = ", ".join("?" * len(ids))
        attempts: dict[str, list[Attempt]] = {}
        for case_id, *fields in self._journal.query(
                "SELECT case_id, at, channel, outcome, who, template, note, source FROM case_attempts "
                f"WHERE case_id IN ({marks}) ORDER BY at, seq", ids):
            at, *rest = fields
            attempts.setdefault(case_id, []).append(Attempt(datetime.fromisoformat(at), *rest))
        escalations: dict[str, list[Escalation]] = {}
        for case_id, at, reason in self._journal.query(
                f"SELECT case_id, at, reason FROM case_escalations WHERE case_id IN ({marks}) ORDER BY seq", ids):
            escalations.setdefault(case_id, []).append(Escalation(datetime.fromisoformat(at), reason))
        now = self._clock.now()
        return [self._case_of(row, attempts.get(row[0], []), escalations.get(row[0], []), now) for row in rows]

    def _case_of(self, row: tuple, attempts: list[Attempt], escalations: list[Escalation], now: datetime) -> Case:
        (case_id, case_type, opened, sale_ids, minor, currency, masked, contact_id, state, resolution, closed_at,
         closed_by, close_note) = row
        opened_at = datetime.fromisoformat(opened)
        due = None
        if state == "open":
            due = schedule.next_followup(attempts[-1].at, self.settings) if attempts \
                else schedule.first_followup(opened_at, self.settings)
        return Case(case_id, case_type, state, opened_at, tuple(json.loads(sale_ids)),
                    None if minor is None else Money(minor, currency), masked, contact_id, tuple(attempts),
                    tuple(escalations), due, due is not None and due < now, resolution,
                    None if closed_at is None else datetime.fromisoformat(closed_at), closed_by, close_note)

    def _not_found(self, case_id: str) -> CaseNotFound:
        known = [known_id for (known_id,) in self._journal.query("SELECT case_id FROM cases")]
        near = difflib.get_close_matches(case_id, known, n=3, cutoff=0.6)
        if near:
            return CaseNotFound(case_id, f"no case {case_id!r}; did you mean {' or '.join(near)}?",
                                code="not_found_near", near=tuple(near))
        open_ids = [open_id for (open_id,) in self._journal.query(
            "SELECT case_id FROM cases WHERE state = 'open' ORDER BY opened_at, case_id")]
        if not open_ids:
            return CaseNotFound(case_id, f"no case {case_id!r}, and no cases are open", code="not_found_none_open")
        shown = ", ".join(open_ids[:_NEAR_SHOWN]) + (", …" if len(open_ids) > _NEAR_SHOWN else "")
        return CaseNotFound(case_id, f"no case {case_id!r}; open cases: {shown}", code="not_found",
                            open=tuple(open_ids[:_NEAR_SHOWN]))


def _row_of(case: Case) -> CaseRow:
    return CaseRow(case.case_id, case.case_type, case.state, case.opened_at, case.amount, case.masked,
                   len(case.attempts), case.attempts[-1] if case.attempts else None, case.next_followup, case.overdue)
