"""Errors a store manager can act on: each names the case or the field and says what to do instead."""

from __future__ import annotations


class CaseError(Exception):
    """Anything the cases commands refuse; the message is one line, fit for stderr."""


class CaseNotFound(CaseError, KeyError):
    """No case has this id. A `KeyError`, so lookups read like a mapping's, but printed as a sentence
    (a plain KeyError would print its message in quotes)."""

    def __init__(self, case_id: str, message: str) -> None:
        super().__init__(message)
        self.case_id = case_id

    def __str__(self) -> str:
        return str(self.args[0])


class CaseInputError(CaseError, ValueError):
    """One field is wrong: `field` names it, `reason` says what is wrong and never repeats a value that
    could be personal data."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class CaseAlreadyClosed(CaseError, ValueError):
    """Closing twice would overwrite how and when the matter was settled; the first closure stands."""


class CaseSettingsError(CaseInputError):
    """A follow-up setting is unusable; `field` is its key in the [cases] section of the config."""
