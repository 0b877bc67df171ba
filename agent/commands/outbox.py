"""`recoup outbox`: the messages drafted for customers — list them, read one exactly as the customer will,
send it, and record what a person did with one (a call, a message sent by hand) or what the customer said
of a delivery left unknown.

Customers' addresses are shown masked only, as everywhere else. Reading the contacts needs the contact
key, as `recoup contacts list` does.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, tzinfo

from agent.commands.contacts import KEY_ENV_VAR
from agent.contacts import ContactKeyError, ContactStore
from agent.journal import Journal, JournalError
from agent.keys import KeyFileError, load_key
from agent.notify import Notifier, NotifyError, SendResult
from agent.notify.sender import BY_HAND_CHANNELS, RECORD_OUTCOMES, SEND_CHANNELS, UNREACHABLE

STATES = ("drafted", "sent", "failed", "refused", "unknown")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "outbox", help="customer notifications: list, show, send, record a call",
        description="Messages drafted for customers about their case, in Chinese and English. By default "
        "nothing is sent automatically: the cashier calls or sends by hand and records the outcome. With "
        "email (SMTP) or an SMS gateway configured, `send` delivers by the customer's preferred channel. "
        "Nothing is ever sent to a customer who did not consent. Addresses are shown masked.")
    commands = parser.add_subparsers(dest="outbox_command", metavar="COMMAND", required=True)
    commands.add_parser(
        "list", help="every draft with its state",
        description="Every draft, oldest first: id, case, when drafted (local time), template, state "
        "(drafted, sent, failed, refused, or unknown: a delivery was under way when the agent stopped, so it "
        "may have reached the customer), channel, masked address, attempts and the next automatic try.",
    ).set_defaults(func=run)
    show = commands.add_parser(
        "show", help="the exact message, before sending",
        description="The exact message the customer will receive — subject and body, both languages, the "
        "customer's first — and the channel and masked address it would go to, or why it would not be sent.")
    show.add_argument("draft", type=int, metavar="ID", help="the draft's id, from `recoup outbox list`")
    show.set_defaults(func=run)
    send = commands.add_parser(
        "send", help="send a draft now",
        description="Send a draft now by the customer's preferred channel, or by --channel. A customer who "
        "prefers a phone call or WeChat is contacted by a person: the draft stays in the outbox. A failed "
        "delivery is tried again after 1, 5 and 30 minutes (by `recoup outbox retry` or the agent). A draft "
        "in the unknown state may already have reached the customer: it is sent only with --again. Exit "
        "status 1 when the message was not sent.")
    send.add_argument("draft", type=int, metavar="ID")
    send.add_argument("--channel", choices=SEND_CHANNELS, help="instead of the customer's preferred channel")
    send.add_argument("--again", action="store_true",
                      help="send a draft in the unknown state all the same, knowing the customer may get it twice")
    send.add_argument("--who", default="cashier", help="who is sending, for the contact log (default: cashier)")
    send.set_defaults(func=run)
    record = commands.add_parser(
        "record", help="record a call or a message sent by hand",
        description="Record what a person did with a draft: reached, sent_by_hand or left_message count as "
        "delivered; no_answer, busy or wrong_number as a failed attempt. For a draft in the unknown state, "
        "received or not_received records what the customer said of the delivery that was under way. Any "
        "of them takes the draft out of automatic retries.")
    record.add_argument("draft", type=int, metavar="ID")
    record.add_argument("--outcome", required=True, choices=RECORD_OUTCOMES)
    record.add_argument("--channel", choices=BY_HAND_CHANNELS,
                        help="how the customer was contacted (default: their preferred channel)")
    record.add_argument("--who", default="cashier", help="who made the contact (default: cashier)")
    record.set_defaults(func=run)
    commands.add_parser(
        "retry", help="try again the failed deliveries now due",
        description="Try again every failed email or SMS whose back-off has run out, and say when the next "
        "one falls due. Safe to run from a scheduler every minute.",
    ).set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    path = settings.journal.path
    if not path.exists():
        print(f"recoup outbox: no journal at {path}; check journal.path in the config", file=sys.stderr)
        return 1
    try:
        with Journal.open(path) as journal:
            key = load_key(settings.contacts.key_file, KEY_ENV_VAR)
            contacts = ContactStore(journal, key, default_region=settings.contacts.default_region)
            # Until the config file has a [notify] section, the settings carry none: outbox only.
            notify = settings.notify
            notifier = Notifier(journal, journal.clock, contacts, notify)
            args.zone = settings.cases.zone  # times are shown in the store's zone
            return _COMMANDS[args.outbox_command](notifier, args)
    except (JournalError, KeyFileError, ContactKeyError, NotifyError) as exc:
        print(f"recoup outbox: {exc}", file=sys.stderr)
        return 1


def _local(at: datetime, zone: tzinfo | None) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _list(notifier: Notifier, args: argparse.Namespace) -> int:
    rows = notifier.drafts()
    for row in rows:
        tries = [f"{row.attempts} tr{'y' if row.attempts == 1 else 'ies'}"] if row.attempts else []
        then = [f"next {_local(row.retry_at, args.zone)}"] if row.retry_at else []
        drafted = _local(row.drafted_at, args.zone)
        print(f"{row.draft_id:>5}  {row.case_id:<16} {drafted}  {row.template:<34} {row.state:<8} "
              f"{row.channel or '-':<7} {row.to or '-':<22} {', '.join(tries + then)}".rstrip())
    counts = ", ".join(f"{sum(row.state == state for row in rows)} {state}" for state in STATES)
    print(f"{len(rows)} draft(s): {counts}")
    return 0


def _show(notifier: Notifier, args: argparse.Namespace) -> int:
    preview = notifier.preview(args.draft)
    print(f"draft {preview.draft_id} · case {preview.case_id} · {preview.template} · {preview.state}")
    if preview.state == "unknown":
        print(f"may have reached the customer: `recoup outbox record {preview.draft_id} --outcome received` (or "
              f"not_received) once they say, or `recoup outbox send {preview.draft_id} --again`")
    if preview.refusal:
        print(f"would not be sent: {UNREACHABLE[preview.refusal]}")
    elif preview.channel == "outbox":
        print(f"by hand: the customer prefers {preview.preferred} ({preview.to or 'no address'})")
    else:
        print(f"to: {preview.channel} {preview.to}")
    if preview.subject:
        print(f"subject: {preview.subject}")
    print()
    print(preview.body)
    return 0


def _send(notifier: Notifier, args: argparse.Namespace) -> int:
    result = notifier.send(args.draft, args.channel, who=args.who, again=args.again)
    print(_said(result, args.zone))
    return 0 if result.state in ("sent", "outbox") else 1


def _record(notifier: Notifier, args: argparse.Namespace) -> int:
    result = notifier.record(args.draft, args.outcome, who=args.who, channel=args.channel)
    if result.state == "refused":
        print(_said(result, args.zone))
        return 1
    print(f"recorded draft {result.draft_id}: {result.outcome} by {result.channel} {result.to} "
          f"(attempt {result.attempt}, {args.who})")
    return 0


def _retry(notifier: Notifier, args: argparse.Namespace) -> int:
    for result in notifier.retry_due():
        print(_said(result, args.zone))
    due = notifier.next_retry_at()
    print(f"next retry at {_local(due, args.zone)}" if due else "no retries pending")
    return 0


def _said(result: SendResult, zone: tzinfo | None) -> str:
    draft = f"draft {result.draft_id}"
    if result.state == "sent":
        return f"sent {draft} by {result.channel} to {result.to} (attempt {result.attempt})"
    if result.state == "refused":
        return f"{draft} not sent: {UNREACHABLE[result.reason or '']}"
    if result.state == "outbox":
        return (f"{draft} stays in the outbox for a person to do: call or send it by hand to {result.to}, then "
                f"`recoup outbox record {result.draft_id} --outcome reached` (or no_answer, sent_by_hand, ...)")
    then = (f"next try at {_local(result.retry_at, zone)}" if result.retry_at
            else f"given up after attempt {result.attempt}")
    return f"{draft} not sent by {result.channel} to {result.to or '-'}: {result.error}; {then}"


_COMMANDS = {"list": _list, "show": _show, "send": _send, "record": _record, "retry": _retry}
