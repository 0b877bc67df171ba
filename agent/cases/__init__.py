"""Cases and follow-ups: every failure the counter could not settle on the spot, each contact with the
customer about it, when to try them next, and how it ended."""

from agent.cases.errors import CaseAlreadyClosed, CaseError, CaseInputError, CaseNotFound, CaseSettingsError
from agent.cases.model import (
    CASE_TYPES,
    CHANNELS,
    OUTCOMES,
    OUTCOMES_BY_CHANNEL,
    RESOLUTIONS,
    Attempt,
    Case,
    CaseRow,
    Escalation,
)
from agent.cases.projection import CasesProjection
from agent.cases.settings import CaseSettings
from agent.cases.store import CaseStore

__all__ = [
    "CASE_TYPES",
    "CHANNELS",
    "OUTCOMES",
    "OUTCOMES_BY_CHANNEL",
    "RESOLUTIONS",
    "Attempt",
    "Case",
    "CaseAlreadyClosed",
    "CaseError",
    "CaseInputError",
    "CaseNotFound",
    "CaseRow",
    "CaseSettings",
    "CaseSettingsError",
    "CaseStore",
    "CasesProjection",
    "Escalation",
]
