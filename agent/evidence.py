"""The evidence package for a case that goes to the bank or a legal route: one zip a manager can hand over,
holding what recoup knows about the case and can show about it, and nothing it must keep to itself.

Everything in it comes from the journal, which is card-safe by construction (masked PAN only), so the
package is too. Contact details are the one exception a manager may choose: they go in, in clear, only
when asked for explicitly; otherwise the case names its contact by id and the package holds nothing
personal. The manifest's hashes identify each file, so one forwarded on its own can be matched to the
package (they show damage, not tampering: whoever can edit a file can edit the manifest too).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from agent.cases import Case, CaseSettings, CaseStore
from agent.cases.schedule import to_local
from agent.config import PRINTER_COLUMNS, StoreSettings
from agent.contacts import Contact, ContactStore, ContactUnavailable, Declined
from agent.journal import Event, Journal
from agent.printer import TO_PRINT
from domain.money import Money
from drivers.printer.receipt import Store, receipt_from_document
from drivers.printer.render import render
from simulator.printer import interpreter
from simulator.printer.picture import Fonts, draw, find_fonts

CASE, JOURNAL, CONTACT, README, MANIFEST = "case.json", "journal.json", "contact.json", "README.txt", "manifest.json"
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class _Receipts:
    files: dict[str, bytes]
    ids: list[str]
    refused: list[tuple[str, str]]  # (receipt id, why it could not be drawn again)
    fonts: Fonts | None  # None when there was nothing to draw


def build_evidence(journal: Journal, case_id: str, out: Path, *, contacts: ContactStore | None = None,
                   include_contact: bool = False, columns: int = 48, store: StoreSettings | None = None,
                   case_settings: CaseSettings | None = None, now: datetime | None = None) -> Path:
    """Write the package for `case_id` to `out` and return `out`.

    `store` names the shop on the re-rendered receipts, as config [store] does for the printer;
    `case_settings` gives the store's time zone, which the receipts print their times in as the paper did.
    An unknown case raises the case store's `CaseNotFound`; nothing is written then.
    """
    if include_contact and contacts is None:
        raise ValueError("include_contact needs a ContactStore (opened with the contact key) to read the "
                         "contact's details; without one, leave the details out")
    if columns not in PRINTER_COLUMNS:
        raise ValueError(f"columns must be one of {', '.join(map(str, PRINTER_COLUMNS))}, got {columns!r}")
    case_settings = case_settings or CaseSettings()
    case = CaseStore(journal, journal.clock, case_settings).get(case_id)
    built = (now or journal.clock.now()).astimezone(UTC)
    events = _events_of(journal, case)
    receipts = _receipts(events, store or StoreSettings(), columns, to_local(built, case_settings).tzinfo)
    members = {CASE: _json(_case_json(case)), JOURNAL: _json([_event_json(event) for event in events]),
               **receipts.files}
    contact = _contact_json(contacts, case) if include_contact and contacts is not None else None
    if contact is not None:
        members[CONTACT] = _json(contact)
    contact_included = contact is not None and contact["status"] == "held"
    members[README] = _readme(case, built, receipts, contact_included, include_contact).encode()
    members[MANIFEST] = _json({
        "case_id": case.case_id, "built_at": _utc(built), "contact_details_included": contact_included,
        "journal_events": len(events), "receipts": receipts.ids,
        "files": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in members.items()],
    })
    _write_zip(out, members, built)
    return out


# -- what goes in --------------------------------------------------------------------------------------

def _events_of(journal: Journal, case: Case) -> list[Event]:
    """The case's own stream and each of its sales': most of a case's history is on the sale it is about.

    A sale the recovery started for the case (the right card charged after the wrong one) is the case's
    too, though the case records only the sale it was opened on.
    """
    started = journal.query("SELECT DISTINCT stream FROM events WHERE kind = 'sale_started' "
                            "AND json_extract(payload, '$.case_id') = ?", (case.case_id,))
    found: dict[int, Event] = {}
    for stream in dict.fromkeys((case.case_id, *case.sale_ids, *(sale for (sale,) in started))):
        found.update((event.seq, event) for event in journal.events(stream=stream))
    return [found[seq] for seq in sorted(found)]


def _case_json(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id, "type": case.case_type, "state": case.state, "opened_at": _utc(case.opened_at),
        "sale_ids": list(case.sale_ids), "amount": _money(case.amount), "masked_card": case.masked,
        "contact_id": case.contact_id,
        "attempts": [{"at": _utc(a.at), "channel": a.channel, "outcome": a.outcome, "who": a.who,
                      "template": a.template, "note": a.note, "source": a.source} for a in case.attempts],
        "escalations": [{"at": _utc(e.at), "reason": e.reason} for e in case.escalations],
        "next_followup": _utc(case.next_followup), "overdue": case.overdue,
        "resolution": case.resolution, "closed_at": _utc(case.closed_at), "closed_by": case.closed_by,
        "close_note": case.close_note,
    }


def _event_json(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "at": _utc(event.at), "kind": event.kind, "stream": event.stream,
            "payload": event.payload}


def _contact_json(contacts: ContactStore, case: Case) -> dict[str, Any]:
    """The details in clear, or why there are none: an answer the bank may ask about either way."""
    if case.contact_id is None:
        return {"contact_id": None, "status": "none", "note": "the customer left no contact details"}
    try:
        found = contacts.get(case.contact_id)
    except ContactUnavailable:
        return {"contact_id": case.contact_id, "status": "not_on_record",
                "note": "the case names a contact this journal holds no record of"}
    if isinstance(found, Contact):
        details = found.details
        return {"contact_id": found.contact_id, "status": "held", "name": details.name, "phone": details.phone,
                "email": details.email, "wechat_id": details.wechat_id, "channel": details.channel.value,
                "consent": True, "consented_at": _utc(found.consented_at), "recorded_at": _utc(found.recorded_at),
                "updated_at": _utc(found.updated_at)}
    if isinstance(found, Declined):
        return {"contact_id": found.contact_id, "status": "declined", "consent": False,
                "recorded_at": _utc(found.recorded_at)}
    return {"contact_id": found.contact_id, "status": "purged", "recorded_at": _utc(found.recorded_at),
            "purged_at": _utc(found.purged_at)}


def _receipts(events: list[Event], settings: StoreSettings, columns: int, tz: tzinfo | None) -> _Receipts:
    """Each receipt or slip of the case's sales, as its first journaled document printed it.

    The terminal and merchant ids are the ones the sale's own authorization carried, so a receipt names
    the terminal it was printed at even if the config has changed since.
    """
    firsts: dict[str, Event] = {}
    for event in events:
        if event.kind == TO_PRINT:
            firsts.setdefault(str(event.payload.get("receipt_id")), event)
    if not firsts:
        return _Receipts({}, [], [], None)
    fonts = find_fonts()
    files: dict[str, bytes] = {}
    drawn: list[str] = []
    refused: list[tuple[str, str]] = []
    for receipt_id, event in firsts.items():
        ids = _terminal_of(events, event.stream)
        store = Store(name=settings.name, address=settings.address, phone=settings.phone, footer=settings.footer,
                      qr=settings.qr, **ids)
        try:
            receipt = receipt_from_document(event.payload.get("document"), store, tz=tz)
        except ValueError as exc:
            refused.append((receipt_id, str(exc)))
            continue
        data = render(receipt, columns=columns, duplicate=bool(event.payload.get("duplicate")))
        paper = interpreter.render(data, columns=columns)
        picture = io.BytesIO()
        draw(paper, columns, fonts).save(picture, format="PNG")
        stem = "receipts/" + _UNSAFE_IN_NAME.sub("_", receipt_id)
        files |= {f"{stem}.bin": data, f"{stem}.txt": paper.text(columns).encode(), f"{stem}.png": picture.getvalue()}
        drawn.append(receipt_id)
    return _Receipts(files, drawn, refused, fonts)


def _terminal_of(events: list[Event], stream: str | None) -> dict[str, str]:
    for event in events:
        if event.kind == "host_request" and event.stream == stream:
            request = event.payload.get("request") or {}
            return {"terminal_id": str(request.get("41", "")), "merchant_id": str(request.get("42", ""))}
    return {}


def _readme(case: Case, built: datetime, receipts: _Receipts, contact_included: bool, asked: bool) -> str:
    lines = [
        f"Evidence package for case {case.case_id} ({case.case_type}, {case.state}), built {_utc(built)} by recoup.",
        "",
        f"{CASE:<14} the case: type, state, sales, amount, masked card, the contact log (every attempt:",
        f"{'':<14} channel, time, template, outcome, who), escalations and how it was resolved",
        f"{JOURNAL:<14} every journal event on the case's stream and on its sales' streams, in order",
        f"{'receipts/':<14} every receipt and slip of the case's sales: .bin the ESC/POS bytes, .txt the text",
        f"{'':<14} as the printer reads it, .png a picture of the paper",
    ]
    if asked:
        lines.append(f"{CONTACT:<14} the customer's contact details, in clear, as the manager asked")
    lines += [
        f"{MANIFEST:<14} the SHA-256 of every other file",
        "",
        "All times in the JSON files are UTC. Amounts are in minor units with their currency (minor 3000,",
        "currency CNY is CNY 30.00). Card numbers appear masked only (first 6 and last 4 digits), as recoup",
        "keeps them.",
        "",
        "Receipts are re-rendered from the documents journaled when they were printed (receipt_to_print): the",
        "shop's name and address as configured when this package was built, the terminal and merchant ids the",
        "sale was authorized with. They are not scans of the paper; reprints are in the journal.",
    ]
    if receipts.fonts is None:
        lines.append("There are no receipts or slips on record for this case's sales.")
    else:
        lines.append(f"Pictures: {receipts.fonts.describe()}.")
    lines += [f"Receipt {receipt_id} could not be drawn again ({why}); its document is in {JOURNAL}."
              for receipt_id, why in receipts.refused]
    lines.append("")
    if contact_included:
        lines.append(f"Contact details ARE included, in clear, in {CONTACT}: keep this package as you would the "
                     "customer's own papers.")
    elif asked:
        lines.append(f"Contact details were asked for; {CONTACT} says why there are none.")
    else:
        lines.append("Contact details are NOT included: the case names its contact by id only.")
    return "\n".join(lines) + "\n"


# -- writing -------------------------------------------------------------------------------------------

def _write_zip(out: Path, members: dict[str, bytes], built: datetime) -> None:
    """Written beside `out` and moved into place, so a failure never leaves a half package that looks
    whole; private to its owner, since it may carry the customer's details."""
    temporary = out.with_name(f".{out.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
                stamp = built.timetuple()[:6]
                for name, data in members.items():
                    info = zipfile.ZipInfo(name, date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()


def _utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _money(amount: Money | None) -> dict[str, Any] | None:
    return None if amount is None else {"minor": amount.minor, "currency": amount.currency}
