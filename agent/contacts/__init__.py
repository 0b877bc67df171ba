"""Customer contact capture: validated, consented, encrypted at rest, shown masked, and
crypto-shredded when retention ends."""

from agent.contacts.contact import (
    Channel,
    Contact,
    ContactDetails,
    ContactForm,
    ContactRow,
    Declined,
    Purged,
)
from agent.contacts.errors import ContactError, ContactFormError, ContactKeyError, ContactUnavailable
from agent.contacts.store import ContactStore, PurgeReport, purge_contacts

__all__ = [
    "Channel",
    "Contact",
    "ContactDetails",
    "ContactError",
    "ContactForm",
    "ContactFormError",
    "ContactKeyError",
    "ContactRow",
    "ContactStore",
    "ContactUnavailable",
    "Declined",
    "PurgeReport",
    "Purged",
    "purge_contacts",
]
