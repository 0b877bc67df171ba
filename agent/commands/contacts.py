"""`recoup contacts`: the store manager's view of captured customer contacts, and the retention purge.

Listing needs the contact master key and shows details masked only. Purging needs no key at all, so a
lost key never stops personal data from being destroyed on time.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta, tzinfo

from agent.contacts import ContactKeyError, ContactRow, ContactStore, purge_contacts
from agent.journal import Journal, JournalError
from agent.keys import KeyFileError, load_key

KEY_ENV_VAR = "RECOUP_CONTACT_KEY"
_UNITS = {"d": timedelta(days=1), "w": timedelta(weeks=1), "h": timedelta(hours=1)}


def parse_age(text: str) -> timedelta:
    """'90d', '12w', '36h' → a timedelta (argparse type)."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([dwh])\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age; write a number of days, weeks or hours "
                                         f"such as 90d, 12w or 36h")
    count = int(match.group(1))
    if count == 0:
        raise argparse.ArgumentTypeError("the age must be more than zero; 0 would purge every contact")
    return count * _UNITS[match.group(2).lower()]


def describe_age(age: timedelta) -> str:
    """'90 days', '36 hours': how the summary line names the retention."""
    if age % timedelta(days=1) == timedelta(0):
        days = age // timedelta(days=1)
        return f"{days} day{'s' if days != 1 else ''}"
    hours = age // timedelta(hours=1)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "contacts", help="list captured customer contacts (masked) or purge old ones",
        description="Customer contacts captured at the counter. They are stored encrypted in the journal "
        f"and shown masked only. Listing needs the contact key ({KEY_ENV_VAR}, or contacts.key_file in "
        "the config); purging does not.")
    commands = parser.add_subparsers(dest="contacts_command", metavar="COMMAND", required=True)
    listing = commands.add_parser(
        "list", help="show every contact, masked",
        description="Show every contact, oldest first: id, case, when recorded, status (held, declined or "
        "purged), preferred channel and the masked details (e.g. 138****8000). Times are local.")
    listing.set_defaults(func=run)
    purge = commands.add_parser(
        "purge", help="destroy the personal data of contacts past retention",
        description="Destroy the personal data of every contact last recorded or updated longer ago than "
        "AGE, by deleting its encryption key; the journal keeps a record that the contact existed and "
        "was purged, but its details can never be read again. Prints how many were purged and kept.")
    purge.add_argument(
        "--older-than", type=parse_age, metavar="AGE",
        help="a number of days, weeks or hours: 90d, 12w, 36h "
        "(default: contacts.retention_days from the config)")
    purge.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    path = settings.journal.path
    if not path.exists():
        print(f"recoup contacts: no journal at {path}; check journal.path in the config", file=sys.stderr)
        return 1
    try:
        with Journal.open(path) as journal:
            if args.contacts_command == "purge":
                return _purge(journal, args.older_than or timedelta(days=settings.contacts.retention_days))
            key = load_key(settings.contacts.key_file, KEY_ENV_VAR)
            store = ContactStore(journal, key, default_region=settings.contacts.default_region)
            return _list(store, settings.cases.zone)
    except (JournalError, KeyFileError, ContactKeyError) as exc:
        print(f"recoup contacts: {exc}", file=sys.stderr)
        return 1


def _purge(journal: Journal, older_than: timedelta) -> int:
    report = purge_contacts(journal, older_than)
    noun = "contact" if report.purged == 1 else "contacts"
    print(f"purged {report.purged} {noun} older than {describe_age(older_than)}; {report.kept} kept")
    return 0


def _list(store: ContactStore, zone: tzinfo | None) -> int:
    rows = store.list()
    for row in rows:
        print(_line(row, zone))
    counts = {status: sum(row.status == status for row in rows) for status in ("held", "declined", "purged")}
    print(f"{len(rows)} contact(s): " + ", ".join(f"{count} {status}" for status, count in counts.items()))
    return 0


def _line(row: ContactRow, zone: tzinfo | None) -> str:
    when = row.recorded_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    details = "  ".join(value for value in (row.name, row.phone, row.email, row.wechat_id) if value)
    case = row.case_id or "-"
    return f"{row.contact_id}  {case:<16} {when}  {row.status:<8} {row.channel or '-':<6} {details}"
