"""The durable journal: an append-only event log in SQLite, and the projections rebuilt from it."""

from agent.journal.errors import CardDataRefused, JournalError, SchemaTooNew
from agent.journal.store import Event, Journal

__all__ = ["CardDataRefused", "Event", "Journal", "JournalError", "SchemaTooNew"]
