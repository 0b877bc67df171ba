"""`recoup cases` and `recoup followups`: the store manager's view of open matters and whom to call next.

Times are shown on the store's clock and stored in UTC. A customer's contact is shown by its id, and
masked only when the contact key is at hand; the case itself never holds contact details.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

from agent.cases import (
    CASE_TYPES,
    CHANNELS,
    OUTCOMES,
    RESOLUTIONS,
    Case,
    CaseError,
    CaseInputError,
    CaseRow,
    CaseSettings,
    CaseStore,
)
from agent.cases.schedule import to_local
from agent.commands.contacts import KEY_ENV_VAR
from agent.contacts import Contact, ContactKeyError, ContactStore, ContactUnavailable, Declined
from agent.journal import Journal, JournalError
from agent.keys import KeyFileError, load_key
from agent.late_payment import NotOwed, record_late_payment
from agent.outbox import Outbox

TIME = "%Y-%m-%d %H:%M"
OVERDUE = "OVERDUE"
CASE_ID_HELP = "the case id, as listed and printed on the customer's contact slip, e.g. network_drop-3"
# The store names the field it refuses; the manager typed an option.
OPTIONS = {"case_id": "ID", "case_type": "--type", "channel": "--channel", "outcome": "--outcome", "note": "--note",
           "template": "--template", "at": "--at", "who": "--who", "resolution": "--resolution"}


class _Refused(Exception):
    """A command-line value the store never sees, refused with the option it came from."""


def register(sub: argparse._SubParsersAction) -> None:
    _register_cases(sub)
    _register_followups(sub)


def _register_cases(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "cases", help="list, show, log contact attempts on, and close cases",
        description="Cases are the payments the counter could not settle on the spot. With no command, "
        "lists them oldest first: id, type, state, when opened, amount, masked card, contact attempts, "
        "next follow-up (times local), and OVERDUE when that time has passed.")
    states = parser.add_mutually_exclusive_group()
    states.add_argument("--open", dest="state", action="store_const", const="open", help="open cases only")
    states.add_argument("--closed", dest="state", action="store_const", const="closed", help="closed cases only")
    parser.add_argument("--overdue", action="store_true", help="only open cases whose follow-up time has passed")
    parser.add_argument("--type", dest="case_type", metavar="TYPE",
                        help=f"only cases of this type ({', '.join(CASE_TYPES)})")
    parser.set_defaults(func=run_cases, cases_command=None)
    commands = parser.add_subparsers(dest="cases_command", metavar="COMMAND")
    show = commands.add_parser("show", help="everything about one case, with its contact log",
                               description="One case in full: sales, amount, masked card, contact (its id, "
                               f"and masked details when the contact key is available via {KEY_ENV_VAR} or "
                               "contacts.key_file), escalations, every contact attempt and how it was closed.")
    show.add_argument("case_id", metavar="ID", help=CASE_ID_HELP)
    attempt = commands.add_parser(
        "attempt", help="record a contact attempt; the next follow-up moves on from it",
        description="Record one try to reach the customer. The next follow-up falls business days later at "
        "the same time of day, never in quiet hours, on a weekend or on a holiday. Notes must not hold "
        "card numbers or contact details: those live in the encrypted contact record.")
    attempt.add_argument("case_id", metavar="ID", help=CASE_ID_HELP)
    attempt.add_argument("--channel", required=True, choices=CHANNELS, help="how the customer was contacted")
    attempt.add_argument("--outcome", required=True, metavar="OUTCOME",
                         help="what came of it: " + ", ".join(OUTCOMES) + " (which fit depends on the channel)")
    attempt.add_argument("--note", metavar="TEXT", help="what was said or agreed, in a line")
    attempt.add_argument("--template", metavar="NAME", help="the notification template used, if any")
    attempt.add_argument("--at", type=_local_time, metavar="'YYYY-MM-DD HH:MM'",
                         help="when it happened, local time (default: now)")
    attempt.add_argument("--who", metavar="NAME", help="who made it (default: your login name)")
    close = commands.add_parser("close", help="close a case with how it was settled",
                                description="Close an open case. A closed case cannot be closed again; its "
                                "first resolution stands.")
    close.add_argument("case_id", metavar="ID", help=CASE_ID_HELP)
    close.add_argument("--resolution", required=True, choices=RESOLUTIONS, help="how it was settled")
    close.add_argument("--note", metavar="TEXT", help="anything the next reader should know, in a line")
    close.add_argument("--who", metavar="NAME", help="who closed it (default: your login name)")
    pay = commands.add_parser(
        "pay", help="record that the customer paid a case later, another way than by card",
        description="The customer came back and paid for a receipt_unpaid or declined case in cash, by QR code "
        "or by transfer: the payment is recorded on the sale, the case closes as paid_later, and a thank-you "
        "is drafted for the customer (when they left contact details). A card payment is a new sale at the "
        "counter, which closes the case itself once approved.")
    pay.add_argument("case_id", metavar="ID", help=CASE_ID_HELP)
    pay.add_argument("--method", required=True, metavar="HOW", help="how they paid: cash, qr, transfer…")
    pay.add_argument("--who", metavar="NAME", help="who took the payment (default: your login name)")
    escalate = commands.add_parser(
        "escalate", help="escalate a case (bank or legal route) and write its evidence package",
        description="When following up has not settled a case — a customer who does not pay, a charge the bank "
        "will not release — record the escalation on the case (it stays open) and write the evidence package "
        "the bank or a lawyer needs, as `cases evidence` does.")
    escalate.add_argument("case_id", metavar="ID", help=CASE_ID_HELP)
    escalate.add_argument("--reason", required=True, metavar="TEXT",
                          help="why, in a line (no card numbers or contact details)")
    escalate.add_argument("--who", metavar="NAME", help="who escalated it (default: your login name)")
    evidence = commands.add_parser(
        "evidence", help="write the evidence package for the bank or a legal route",
        description="Write one zip holding the case as JSON with its contact log, every journal event on the "
        "case and its sales, each receipt and slip re-rendered from the journal (ESC/POS bytes, text and a "
        "picture) and a manifest of SHA-256 hashes. Card numbers are masked; the customer's contact details "
        "go in, in clear, only with --include-contact.")
    evidence.add_argument("case_id", metavar="ID", help=CASE_ID_HELP)
    for command in (evidence, escalate):
        command.add_argument("--out", type=Path, metavar="FILE.zip",
                             help="where to write the package (default: evidence-ID.zip in the current folder)")
        command.add_argument("--include-contact", action="store_true",
                             help="also write the customer's name, phone and e-mail in clear; needs the contact "
                             f"key ({KEY_ENV_VAR} or contacts.key_file)")


def _register_followups(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "followups", help="the follow-ups due today, overdue first",
        description="Open cases by next follow-up time, earliest first, so the overdue ones lead. By "
        "default the ones due by the end of today (local time).")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--due", dest="scope", action="store_const", const="due", help="only those due now")
    scope.add_argument("--all", dest="scope", action="store_const", const="all", help="every open case")
    parser.set_defaults(func=run_followups, scope="today")


def _local_time(text: str) -> datetime:
    """A wall-clock time, naive until the store's zone is known."""
    try:
        return datetime.strptime(text.strip(), TIME)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a local time; write YYYY-MM-DD HH:MM") from None


def run_cases(args: argparse.Namespace, settings) -> int:
    return _run("cases", args, settings, _cases)


def run_followups(args: argparse.Namespace, settings) -> int:
    return _run("followups", args, settings, _followups)


def _run(name: str, args: argparse.Namespace, settings, handler) -> int:
    path = settings.journal.path
    if not path.exists():
        print(f"recoup {name}: no journal at {path}; check journal.path in the config", file=sys.stderr)
        return 2
    try:
        # Until the [cases] section reaches the config, the defaults apply.
        cases = settings.cases
        with Journal.open(path, own_ids=settings.host.own_ids) as journal:
            return handler(args, settings, journal, CaseStore(journal, journal.clock, cases))
    except CaseInputError as exc:
        print(f"recoup {name}: {OPTIONS.get(exc.field, exc.field)}: {exc.reason}", file=sys.stderr)
        return 2
    except (JournalError, CaseError, _Refused) as exc:
        print(f"recoup {name}: {exc}", file=sys.stderr)
        return 2


# -- recoup cases ------------------------------------------------------------------------------------

def _cases(args, settings, journal: Journal, store: CaseStore) -> int:
    if args.cases_command == "show":
        _show(store.get(args.case_id), store.settings, _masked_contact(journal, settings, store.settings))
    elif args.cases_command == "attempt":
        at = None if args.at is None else _in_zone(args.at, store.settings)
        case = store.record_attempt(args.case_id, channel=args.channel, outcome=args.outcome, who=_who(args),
                                    template=args.template, note=args.note, at=at)
        print(f"recorded {args.channel} {args.outcome} on case {case.case_id}; "
              f"next follow-up: {_due(case, store.settings)}")
    elif args.cases_command == "close":
        case = store.close(args.case_id, resolution=args.resolution, who=_who(args), note=args.note)
        print(f"closed case {case.case_id}: {case.resolution}, by {case.closed_by}")
    elif args.cases_command == "pay":
        try:
            outbox = Outbox(journal, settings.store.contact_line, settings.cases.zone)
            facts = record_late_payment(journal, outbox, args.case_id, args.method, _who(args))
        except NotOwed as exc:
            raise _Refused(str(exc)) from None
        print(f"recorded {facts.amount} paid by {args.method.strip()} for sale {facts.sale_id}; "
              f"case {args.case_id} closed: paid_later")
    elif args.cases_command == "escalate":
        case = store.escalate(args.case_id, reason=args.reason, who=_who(args))
        print(f"escalated case {case.case_id} ({len(case.escalations)} escalation(s)); it stays open")
        _evidence(args, settings, journal, store)
    elif args.cases_command == "evidence":
        _evidence(args, settings, journal, store)
    else:
        rows = store.list(args.state, args.overdue, args.case_type)
        if not rows:
            print("no cases match")
            return 0
        _table(["ID", "TYPE", "STATE", "OPENED", "AMOUNT", "CARD", "ATTEMPTS", "NEXT FOLLOW-UP", ""],
               [[row.case_id, row.case_type, row.state, _when(row.opened_at, store.settings), _amount(row),
                 row.masked or "-", str(row.attempts), _when(row.next_followup, store.settings),
                 OVERDUE if row.overdue else ""] for row in rows])
        overdue = sum(row.overdue for row in rows)
        opened = sum(row.state == "open" for row in rows)
        print(f"{len(rows)} case(s): {opened} open ({overdue} overdue), {len(rows) - opened} closed")
    return 0


def _who(args: argparse.Namespace) -> str:
    if args.who is not None:
        return args.who
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise _Refused("--who: give your name; the login name could not be found") from None


def _evidence(args: argparse.Namespace, settings, journal: Journal, store: CaseStore) -> None:
    # Pillow and the printer's interpreter load only when a package is built, not for every listing.
    from agent.evidence import MANIFEST, build_evidence
    from simulator.printer.picture import FontError

    contacts = None
    if args.include_contact:
        try:  # never a fresh key: it would open nothing, and orphan the details stored under the real one
            key = load_key(settings.contacts.key_file, KEY_ENV_VAR)
            contacts = ContactStore(journal, key, default_region=settings.contacts.default_region)
        except (KeyFileError, ContactKeyError) as exc:
            raise _Refused(f"--include-contact: {exc}") from None
    out = args.out or Path(f"evidence-{args.case_id}.zip")
    try:
        path = build_evidence(journal, args.case_id, out, contacts=contacts, include_contact=args.include_contact,
                              columns=settings.printer.columns, store=settings.store, case_settings=store.settings)
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
    except (FontError, ContactKeyError) as exc:
        raise _Refused(str(exc)) from None
    except OSError as exc:
        raise _Refused(f"--out: cannot write {out}: {exc.strerror or exc}") from None
    case = store.get(args.case_id)
    contact = "contact details included, in clear" if manifest["contact_details_included"] \
        else "no contact details"
    print(path)
    print(f"case {case.case_id} ({case.case_type}, {case.state}): {len(manifest['receipts'])} receipt(s), "
          f"{manifest['journal_events']} journal event(s), {len(case.attempts)} contact attempt(s); {contact}")


def _show(case: Case, settings: CaseSettings, masked_contact) -> None:
    print(f"case {case.case_id}  ({case.case_type}, {case.state})")
    lines = [("opened", _when(case.opened_at, settings)), ("sales", ", ".join(case.sale_ids) or "-"),
             ("amount", str(case.amount) if case.amount else "-"), ("card", case.masked or "-"),
             ("contact", masked_contact(case.contact_id) if case.contact_id else "none left"),
             ("next follow-up", _due(case, settings))]
    lines += [("escalated", f"{_when(e.at, settings)}  {e.reason}") for e in case.escalations]
    if case.closed_at is not None:
        note = f" — {case.close_note}" if case.close_note else ""
        lines.append(("closed", f"{_when(case.closed_at, settings)}  {case.resolution}, by {case.closed_by}{note}"))
    for label, value in lines:
        print(f"{label:<15} {value}")
    print(f"attempts ({len(case.attempts)})")
    if case.attempts:
        _table(["WHEN", "CHANNEL", "OUTCOME", "BY", "TEMPLATE", "NOTE"],
               [[_when(a.at, settings), a.channel, a.outcome, a.who or "-", a.template or "-", a.note or ""]
                for a in case.attempts], indent="  ")


def _due(case: Case, settings: CaseSettings) -> str:
    if case.next_followup is None:
        return "none, the case is closed"
    return _when(case.next_followup, settings) + (f"  {OVERDUE}" if case.overdue else "")


def _masked_contact(journal: Journal, settings, case_settings: CaseSettings):
    """How `show` names a contact: its id, with masked details when the key opens them."""
    try:
        key = load_key(settings.contacts.key_file, KEY_ENV_VAR)
        contacts = ContactStore(journal, key, default_region=settings.contacts.default_region)
    except (KeyFileError, ContactKeyError) as exc:
        reason = exc
        return lambda contact_id: f"{contact_id} (details not shown: {reason})"

    def describe(contact_id: str) -> str:
        try:
            found = contacts.get(contact_id)
        except ContactUnavailable:
            return f"{contact_id} (not on record)"
        except ContactKeyError:
            return f"{contact_id} (details do not open with this key)"
        if isinstance(found, Contact):
            details = found.details
            shown = [v for v in (details.masked_name, details.masked_phone, details.masked_email,
                                 details.masked_wechat_id) if v]
            return f"{contact_id}  {' '.join(shown)}, prefers {details.channel.value}"
        if isinstance(found, Declined):
            return f"{contact_id} (the customer declined to leave details)"
        return f"{contact_id} (details purged {_when(found.purged_at, case_settings)})"

    return describe


# -- recoup followups --------------------------------------------------------------------------------

def _followups(args, settings, journal: Journal, store: CaseStore) -> int:
    now = journal.clock.now()
    if args.scope == "due":
        rows, scope = store.followups(until=now), "due now"
    elif args.scope == "all":
        rows, scope = store.followups(), "of every open case"
    else:
        today = to_local(now, store.settings).date()
        rows = [row for row in store.followups() if to_local(row.next_followup, store.settings).date() <= today]
        scope = f"due by the end of today ({today.isoformat()})"
    if not rows:
        print(f"no follow-ups {scope}")
        return 0
    _table(["DUE", "", "CASE", "TYPE", "AMOUNT", "CARD", "ATTEMPTS", "LAST ATTEMPT"],
           [[_when(row.next_followup, store.settings), OVERDUE if row.overdue else "", row.case_id, row.case_type,
             _amount(row), row.masked or "-", str(row.attempts), _last(row, store.settings)] for row in rows])
    print(f"{len(rows)} follow-up(s) {scope}, {sum(row.overdue for row in rows)} overdue")
    return 0


def _last(row: CaseRow, settings: CaseSettings) -> str:
    last = row.last_attempt
    return "-" if last is None else f"{_when(last.at, settings)} {last.channel} {last.outcome}"


# -- formatting --------------------------------------------------------------------------------------

def _when(moment: datetime | None, settings: CaseSettings) -> str:
    return "-" if moment is None else to_local(moment, settings).strftime(TIME)


def _in_zone(naive: datetime, settings: CaseSettings) -> datetime:
    return naive.replace(tzinfo=settings.zone) if settings.zone is not None else naive.astimezone()


def _amount(row: CaseRow) -> str:
    return str(row.amount) if row.amount else "-"


def _table(headers: list[str], rows: list[list[str]], indent: str = "") -> None:
    """Columns padded by display width: Chinese names and notes take two cells a character."""
    widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    for cells in [headers, *rows]:
        padded = (cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True))
        print(indent + "  ".join(padded).rstrip())


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
