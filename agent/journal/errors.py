"""Journal errors name the event and the field, so the fault can be found in one read."""


class JournalError(Exception):
    pass


class CardDataRefused(JournalError):
    """Something about to be journaled looks like a full card number or track data (money rule 4)."""


class SchemaTooNew(JournalError):
    """The database was written by a newer recoup; opening it with this one could damage it."""
