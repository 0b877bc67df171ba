"""Fuzz targets for the byte-stream cores: the card reader in both wire formats, the acquirer link, the
virtual printer's ESC/POS interpreter.

Each is fed mutations of what its real peer sends — the simulator's swipes and frames for every card in
the wallet, the virtual acquirer's answers to the messages the agent builds, the shared ESC/POS fixtures
and the agent's own receipts — whole, in random splits and a byte at a time, which must all give the same
events; and every event must be one the core documents. Bytes from a peer never raise: a core's own error
is for misuse of its API, which these targets never commit.
"""

from __future__ import annotations

import random
import unicodedata
import zlib
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import iso8583

from bench.fuzz_mutations import Choices, Target, Violation, label, mutate, pick, same_whatever_the_split, splits
from domain.card import Card, Expiry, card_numbers, mask_pan
from domain.clock import VirtualClock
from domain.events import CardRead, EntryMode, LineNoise, ReadError, ReaderStatus
from domain.money import Money
from drivers.cardreader.framed import CommandFailed, FramedReader
from drivers.cardreader.framing import MAX_MESSAGE, encode_frame
from drivers.cardreader.msr import MsrReader
from drivers.cardreader.payload import (
    BadRead,
    Beep,
    CardEvent,
    Disable,
    Display,
    Enable,
    ReaderState,
    StatusReport,
    encode,
)
from drivers.errors import RemoteProtocolError
from drivers.host.codec import Deframer, decode
from drivers.host.link import (
    DuplicateResponse,
    HostLink,
    LateResponse,
    LinkAlive,
    LinkDead,
    Malformed,
    RequestTimedOut,
    RequestUnanswered,
    Response,
    UnmatchedResponse,
)
from drivers.host.messages import Terminal, inquiry, parse_response, purchase, reversal, settlement
from drivers.printer.receipt import Store, receipt_from_document
from drivers.printer.render import render as render_receipt
from simulator.cardreader.device import FramedDevice, MsrDevice
from simulator.cardreader.wallet import WALLET, track2_equivalent
from simulator.host.core import AcquirerCore
from simulator.printer.document import Document, Graphic
from simulator.printer.interpreter import Interpreter

# ../shared/fixtures/escpos beside the repository, never copied into it (DESIGN §7)
ESCPOS_FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "escpos"
TODAY = date(2026, 1, 5)


def no_card_number_outside_a_card_read(events: list) -> None:
    """DESIGN §2.4: only a `CardRead` carries a card number; whatever else a reader says may reach the
    screen and the journal, whose guard refuses what `card_numbers` finds."""
    for event in events:
        if not isinstance(event, CardRead) and (found := card_numbers(repr(event))):
            raise Violation(f"{type(event).__name__} shows a card number in clear ({mask_pan(found[0])})")


def _drain(core, today: date = TODAY) -> list:
    events = []
    while (event := core.next_event(today)) is not None:
        events.append(event)
    return events


def _timed(core, data: bytes) -> list:
    """The bytes with pauses between chunks, the core's timer fired when due, as a real line does it."""
    rng = random.Random(zlib.crc32(data) ^ 0x5A5A)
    events, now = [], 0.0
    for chunk in splits(data, rng, most=8):
        now += rng.choice((0.0, 0.01, 0.15, 0.3, 0.6, 3.5))
        if (deadline := core.get_timer()) is not None and deadline <= now:
            core.handle_timer(now)
        core.receive_data(chunk, now)
        core.data_to_send()
        events += _drain(core)
    core.handle_timer(now + 60)
    return events + _drain(core)


# -- card reader, plain swipe (msr) --------------------------------------------------------------------------

@cache
def _swipes() -> list[bytes]:
    seeds = []
    for tracks, end in (("12", b"\r"), ("2", b"\n"), ("1", b"\r\n")):
        device = MsrDevice(tracks=tracks, line_end=end)
        seeds += [device.swipe(card) for card in WALLET.values()] + [device.bad_swipe()]
    return seeds


MSR_TOKENS = (b"%B", b";", b"?", b"^", b"=", b"\r", b"\n", b"%E?", b";E?", b"+", b"%", b"4111111111111111")


def _msr_generate(choices: Choices) -> bytes:
    stream = b"".join(pick(choices, _swipes()) for _ in range(1 + choices.below(3)))
    return mutate(stream, choices, MSR_TOKENS)


def _msr_run(data: bytes) -> list[str]:
    def events_of(chunks: list[bytes]) -> list:
        core = MsrReader()
        for chunk in chunks:
            core.receive_data(chunk, 0.0)
        core.handle_timer(1.0)
        return _drain(core)

    events = same_whatever_the_split(data, events_of) + _timed(MsrReader(), data)
    for event in events:
        if not isinstance(event, CardRead | ReadError | LineNoise):
            raise Violation(f"the swipe reader gave {event!r}")
    no_card_number_outside_a_card_read(events)
    return [label(event) for event in events]


# -- card reader, framed (chip / tap / swipe) ----------------------------------------------------------------

@cache
def _payloads() -> list[bytes]:
    """What travels inside the frames: a card event for every card in the wallet and every entry mode, a
    bad read and statuses from the reader, and the agent's commands."""
    cards = [CardEvent(mode, track2_equivalent(card), card.expiry, card.service_code, card.name)
             for mode in EntryMode for card in WALLET.values()]
    others = [BadRead(EntryMode.CHIP, "misread 读卡失败"), StatusReport(ReaderState.ERROR, "cover open"),
              StatusReport(ReaderState.READY), Enable(), Disable(), Display("请刷卡 Swipe", "CNY 58.00"), Beep(2, 150)]
    return [encode(message) for message in [*cards, *others]]


PAYLOAD_TOKENS = (b"C", b"S", b"B", b"E", b"D", b"T", b"Z", b"=", b"0", b"9", b"\x00", b"\x1f", b"\x25", b"\x40",
                  b"\xff", b"\xc3", "读".encode())
FRAMED_TOKENS = (b"\x02", b"\x03", b"\x06", b"\x15", b"\x02\x00", b"\x02\x01\xff", b"\x06\x00\xff",
                 b"\x06\x01\xfe")


def _framed_generate(choices: Choices) -> bytes:
    """Frames of real payloads, some damaged before framing — they pass the LRC and CRC and reach the
    decoder — and the stream itself damaged too, as a line does it."""
    frames = []
    for _ in range(1 + choices.below(3)):
        payload = pick(choices, _payloads())
        if choices.below(2):
            payload = mutate(payload, choices, PAYLOAD_TOKENS)[:MAX_MESSAGE] or payload
        frames.append(encode_frame(choices.below(256), payload))
    stream = b"".join(frames) + pick(choices, (b"", b"\x06\x00\xff", b"\x15"))  # and ACK or NAK our command
    return mutate(stream, choices, FRAMED_TOKENS) if choices.below(2) else stream


def _framed_agent() -> FramedReader:
    core = FramedReader()
    core.send_command(Enable(), 0.0)  # a frame of ours outstanding, so ACKs and NAKs have work to do
    core.data_to_send()
    return core


def _framed_run(data: bytes) -> list[str]:
    def events_of(chunks: list[bytes]) -> list:
        core = _framed_agent()
        for chunk in chunks:
            core.receive_data(chunk, 0.0)
        core.handle_timer(0.2)
        return [*_drain(core), core.data_to_send()]

    *events, _acks = same_whatever_the_split(data, events_of)
    events += _timed(_framed_agent(), data)
    for event in events:
        if not isinstance(event, CardRead | ReadError | LineNoise | ReaderStatus | CommandFailed):
            raise Violation(f"the framed reader gave {event!r}")
    no_card_number_outside_a_card_read(events)
    device = FramedDevice()  # the reader's end reads the same bytes as commands from the agent
    device.receive_data(data, 0.0)
    device.handle_timer(100.0)
    labels = [label(event) for event in events]
    while (notice := device.next_notice()) is not None:
        labels.append(f"reader end: {label(notice)}")
    while device.next_command() is not None:
        labels.append("reader end: command")
    return labels


# -- the acquirer link (ISO 8583) ----------------------------------------------------------------------------

TERMINAL = Terminal("TERM0001", "MERCHANT0000001")
AT = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
AUTH_TIMEOUT = 30.0


def _link(echo_deadline: float = 2.0) -> tuple[HostLink, list[dict[str, str]]]:
    """A connected link with a sale, another sale, a reversal, an inquiry and a settlement outstanding
    (and its opening echo): the same every time, so an answer in a saved input still matches."""
    link = HostLink(TERMINAL, last_stan=0, auth_timeout=AUTH_TIMEOUT, echo_deadline=echo_deadline)
    link.connection_made(0.0, AT)
    sent = [decode(message) for message in _messages(link.data_to_send())]
    visa, mastercard = (WALLET[key] for key in ("visa", "mastercard"))
    first = purchase(Card(visa.pan, Expiry.parse(visa.expiry), visa.service_code), Money(5800), EntryMode.CHIP,
                     at=AT, terminal=TERMINAL)
    second = purchase(Card(mastercard.pan, Expiry.parse(mastercard.expiry), mastercard.service_code),
                      Money(1250), EntryMode.SWIPE, at=AT, terminal=TERMINAL)
    sent.append(link.request(first, 0.0, tag="sale-1"))
    sent.append(link.request(second, 0.0, tag="sale-2"))
    sent.append(link.request(reversal(sent[1], at=AT), 0.0, tag="reversal"))
    sent.append(link.request(inquiry(sent[1], at=AT, terminal=TERMINAL), 0.0, tag="inquiry"))
    sent.append(link.request(settlement(at=AT, terminal=TERMINAL, credits_count=0, credits_amount=Money(0),
                                        debits_count=2, debits_amount=Money(7050)), 0.0, tag="settle"))
    link.data_to_send()
    return link, sent


def _messages(stream: bytes) -> list[bytes]:
    deframer, found = Deframer(), []
    deframer.receive_data(stream)
    while (message := deframer.next_message()) is not None:
        found.append(message)
    return found


@cache
def _answers() -> list[bytes]:
    """The virtual acquirer's answers to what `_link` sent, encoded: real responses to real requests."""
    acquirer = AcquirerCore(VirtualClock(AT))
    _, sent = _link()
    answers = [iso8583.encode(dict(acquirer.handle(request).response), iso8583.specs.default_ascii)[0]
               for request in sent]
    return [bytes(answer) for answer in answers]


ISO_TOKENS = (b"0210", b"0410", b"0810", b"0610", b"0510", b"0200", b"0800", b"F" * 16, b"0" * 16, b"00",
              b"99", b"000002", b"TERM0001", b"\x00\x00", b"\xff\xff", b"\xc3\xa9", b"-1")


def _frame(body: bytes) -> bytes:
    return min(len(body), 0xFFFF).to_bytes(2, "big") + body


def _iso8583_generate(choices: Choices) -> bytes:
    parts = []
    for _ in range(1 + choices.below(4)):
        body = pick(choices, _answers())
        parts.append(_frame(mutate(body, choices, ISO_TOKENS) if choices.below(3) else body))
    stream = b"".join(parts)
    return mutate(stream, choices, ISO_TOKENS, most=2) if not choices.below(4) else stream


HOST_EVENTS = (Response, RequestTimedOut, RequestUnanswered, LateResponse, DuplicateResponse, UnmatchedResponse,
               Malformed, LinkAlive, LinkDead)


def _iso8583_run(data: bytes) -> list[str]:
    def events_of(chunks: list[bytes]) -> list:
        link, _ = _link()
        for chunk in chunks:
            link.receive_data(chunk, 1.0)
        return _host_events(link)

    events = same_whatever_the_split(data, events_of)
    # Again with half the bytes arriving after every request timed out (an echo deadline long enough for
    # the link to live through it): late and duplicate answers, then the connection lost.
    link, _ = _link(echo_deadline=10 * AUTH_TIMEOUT)
    link.receive_data(data[:len(data) // 2], 1.0)
    link.handle_timer(AUTH_TIMEOUT + 1)
    link.receive_data(data[len(data) // 2:], AUTH_TIMEOUT + 2)
    link.connection_lost(AUTH_TIMEOUT + 3, "closed")
    labels = []
    for event in events + _host_events(link):
        if not isinstance(event, HOST_EVENTS):
            raise Violation(f"the link gave {event!r}")
        labels.append(label(event))
        if isinstance(event, Response | LateResponse | DuplicateResponse):
            try:
                parse_response(event.response)
                labels.append("response read")
            except RemoteProtocolError:
                labels.append("response refused")
    return labels


def _host_events(link: HostLink) -> list:
    events = []
    while (event := link.next_event()) is not None:
        events.append(event)
    return events


# -- the virtual printer's ESC/POS interpreter ---------------------------------------------------------------

_RECEIPT_STORE = Store(name="小店 Corner Shop", address="深圳市南山区科技园 Science Park Road 1",
                       phone="0755-12345678", terminal_id="T0000001", merchant_id="898440358120001",
                       footer="谢谢惠顾 Thank you", qr="https://e.example.com/r/S-0001")


@cache
def _print_jobs() -> list[bytes]:
    """The real fixtures, when the shared folder is there, and the receipts the agent itself prints."""
    sale = {"type": "sale", "status": "approved", "sale_id": "S-0001", "amount": {"minor": 5800, "currency": "CNY"},
            "masked": "411111******1111", "auth_code": "A12345", "rrn": "412206000001", "stan": "000001",
            "time": "2024-05-01T14:03:22+08:00"}
    receipt = receipt_from_document(sale, _RECEIPT_STORE)
    jobs = [render_receipt(receipt, columns=48), render_receipt(receipt, columns=32, duplicate=True,
                                                                copies=("merchant", "customer"))]
    if ESCPOS_FIXTURES.is_dir():
        jobs += [path.read_bytes() for path in sorted(ESCPOS_FIXTURES.glob("*.bin"))]
    return jobs


ESCPOS_TOKENS = (b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x1b@", b"\x1d(k", b"\x1d(L", b"\x1d8L", b"\x1dv0", b"\x1dk",
                 b"\x1dV", b"\x1b*", b"\x1bD", b"\x1b&", b"\x1cq", b"\x1cg1", b"\x10\x04", b"\x10\x14", b"\x1c&",
                 b"\x1c.", b"\x1bt", b"\x1b!", b"\x1d!", b"\n", b"\r", b"\t", b"\x00", b"\xff\xff",
                 "中文".encode("gb18030"), b"\x81\x30\x81\x30")


UNDRAWABLE = frozenset(("Cc", "Co", "Cn", "Cs"))  # control, private-use, unassigned, surrogate


def _escpos_generate(choices: Choices) -> bytes:
    job = pick(choices, _print_jobs())
    if len(job) > 4096 and choices.below(2):  # a window of a long job: more of the budget goes to parsing
        start = choices.below(len(job) - 2048)
        job = job[start:start + 2048 + choices.below(2048)]
    return mutate(job, choices, ESCPOS_TOKENS, most=6)


def _escpos_run(data: bytes) -> list[str]:
    rng = random.Random(zlib.crc32(data))
    chinese, columns = rng.random() < 0.5, rng.choice((None, 32, 48))

    def events_of(chunks: list[bytes]) -> list:
        interpreter = Interpreter(chinese=chinese, columns=columns)
        for chunk in chunks:
            interpreter.feed(chunk)
        interpreter.close()
        return [*interpreter.events(), interpreter.dropped]

    *events, dropped = same_whatever_the_split(data, events_of)
    document = Document.from_events(events, dropped)
    for line in document.lines:
        for span in line.spans:
            if isinstance(span, Graphic):
                continue
            if bad := next((char for char in span.text if unicodedata.category(char) in UNDRAWABLE), None):
                raise Violation(f"a printed line holds U+{ord(bad):04X}, which no printer draws")
    document.text(columns=48)
    graphics = [f"Graphic.{graphic.kind}" for graphic in document.graphics]
    return [type(event).__name__ for event in events] + graphics + (["bytes dropped"] if dropped else [])


TARGETS = (
    Target("msr", "swipe reader core, ASCII tracks", _msr_generate, _msr_run),
    Target("framed", "framed reader core, agent and reader ends", _framed_generate, _framed_run),
    Target("iso8583", "acquirer link core and response reader", _iso8583_generate, _iso8583_run),
    Target("escpos", "virtual printer's ESC/POS interpreter", _escpos_generate, _escpos_run),
)
