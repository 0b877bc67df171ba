"""Errors a store manager can act on: each names the case or the field and says what to do instead."""

from __future__ import annotations

# Why a field is refused: `CaseInputError.code`, so a screen can say it in its user's own language.
REFUSALS = ("not_text", "blank", "too_long", "card_number", "email", "phone", "channel_unknown", "outcome_unknown",
            "resolution_unknown", "state_unknown", "case_type_unknown", "at_naive", "at_future", "at_before_opened",
            "setting")
# Why the case as it stands refuses what was asked: `CaseNotFound.code`, `CaseAlreadyClosed.code`.
CASE_REFUSALS = ("not_found", "not_found_near", "not_found_none_open", "already_closed", "closed_no_escalation")


class CaseError(Exception):
    """Anything the cases commands refuse; the message is one line, fit for stderr."""


class CaseNotFound(CaseError, KeyError):
    """No case has this id. A `KeyError`, so lookups read like a mapping's, but printed as a sentence
    (a plain KeyError would print its message in quotes). `code` (one of CASE_REFUSALS) and `facts` (the id,
    and the ids it may have meant or the open ones) are what a screen puts into words of its own."""

    def __init__(self, case_id: str, message: str, *, code: str = "not_found", **facts: object) -> None:
        assert code in CASE_REFUSALS, code
        super().__init__(message)
        self.case_id = case_id
        self.code = code
        self.facts = {"case_id": case_id, **facts}

    def __str__(self) -> str:
        return str(self.args[0])


class CaseInputError(CaseError, ValueError):
    """One field is wrong: `field` names it, `reason` says what is wrong (in English, for logs and the command
    line) and never repeats a value that could be personal data. `code` (one of REFUSALS) and `facts` (what
    the reason names) are what a screen puts into words of its own."""

    def __init__(self, field: str, reason: str, *, code: str, **facts: object) -> None:
        assert code in REFUSALS, code
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.code = code
        self.facts = facts


class CaseAlreadyClosed(CaseError, ValueError):
    """Closing twice would overwrite how and when the matter was settled; the first closure stands. `code`
    (one of CASE_REFUSALS) and `facts` (the case, how, when and by whom it was closed) as for CaseNotFound."""

    def __init__(self, message: str, *, code: str, **facts: object) -> None:
        assert code in CASE_REFUSALS, code
        super().__init__(message)
        self.code = code
        self.facts = facts


class CaseSettingsError(CaseInputError):
    """A follow-up setting is unusable; `field` is its key in the [cases] section of the config."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason, code="setting")
