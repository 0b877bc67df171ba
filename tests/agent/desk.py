"""A counter desk for the notification tests: a journal, contacts and the outbox on one virtual clock,
the customer's test details, relays that are down, and a relay that sees what the journal file holds when
a message reaches it. Shared by the notifier, email, SMS and CLI tests."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.contacts import ContactStore
from agent.journal import Journal
from agent.notify import Notifier, NotifySettings
from agent.outbox import Outbox
from domain.card import MaskedPan
from domain.clock import VirtualClock
from domain.effects import SaleFacts
from domain.ids import Stan
from domain.money import Money

KEY = bytes(range(32))
STORE = "测试店 Test store · 021-5555 0000"
PHONE, E164, EMAIL = "13800138000", "+8613800138000", "zhang.san@example.com"
PAN = "4111111111111111"
ATTEMPT_KEYS = {"draft", "case_id", "template", "channel", "contact_id", "to", "outcome", "attempt", "who"}


def free_port() -> int:
    """A loopback port with nothing listening on it (a server that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Desk:
    def __init__(self, path: Path, clock: VirtualClock | None = None) -> None:
        self.path = path
        self.clock = clock or VirtualClock()
        self.journal = Journal.open(path, clock=self.clock)
        self.contacts = ContactStore(self.journal, KEY)
        self.outbox = Outbox(self.journal, STORE)

    def notifier(self, settings: NotifySettings | None = None) -> Notifier:
        return Notifier(self.journal, self.clock, self.contacts, settings or NotifySettings())

    def customer(self, case_id: str = "case-1", **details: str) -> str:
        return self.contacts.record(consent=True, case_id=case_id, **details)

    def draft(self, contact_id: str | None, template: str = "network_drop.hold_released",
              case_id: str = "case-1") -> int:
        sale = SaleFacts("sale-1", Money.parse("58.00"), MaskedPan.of(PAN), stan=Stan(123), sent_at=self.clock.now())
        self.outbox.draft(case_id, template, sale, contact_id)
        return self.journal.last_seq()

    def payloads(self, kind: str) -> list[dict]:
        return [event.payload for event in self.journal.events(kind=kind)]

    def file_bytes(self) -> bytes:
        """Everything SQLite wrote: the database and its write-ahead log."""
        self.journal.close()
        files = [self.path, self.path.with_name(self.path.name + "-wal")]
        return b"".join(path.read_bytes() for path in files if path.exists())


@pytest.fixture
def desk(tmp_path):
    desk = Desk(tmp_path / "journal.sqlite")
    yield desk
    with contextlib.suppress(Exception):
        desk.journal.close()


def down(**settings) -> NotifySettings:
    """Email and SMS configured at ports with nothing listening: every delivery fails at once."""
    return NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_from="shop@example.com",
                          smtp_starttls=False, sms_url=f"http://127.0.0.1:{free_port()}/send", **settings)


def kinds_on_disk(path: Path) -> list[str]:
    """The notifier's events committed to the journal file, read through a connection of its own."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return [kind for (kind,) in db.execute("SELECT kind FROM events WHERE kind LIKE 'notification_%' "
                                               "AND kind != 'notification_drafted' ORDER BY seq")]


class CrashingRelay:
    """A mail relay's handler (aiosmtpd) that, as each message arrives, notes what the journal file holds and
    copies the journal as a power cut at that moment would leave it: the message is taken, and the agent
    never hears the answer. The copy is of the first message's moment."""

    def __init__(self, journal: Path, image: Path) -> None:
        self.journal, self.image = journal, image
        self.on_disk: list[list[str]] = []  # per message received
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.on_disk.append(kinds_on_disk(self.journal))
        if not self.messages:
            for suffix in ("", "-wal"):
                source = self.journal.with_name(self.journal.name + suffix)
                if source.exists():
                    shutil.copy(source, self.image.with_name(self.image.name + suffix))
        self.messages.append(envelope.content)
        return "250 OK"


@contextlib.contextmanager
def mail_relay(handler: object) -> Iterator[NotifySettings]:
    """A real SMTP server on loopback with `handler`, and the settings that send e-mail to it."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield NotifySettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_from="shop@example.com",
                             smtp_starttls=False, smtp_timeout=5)
    finally:
        controller.stop()
