"""The virtual acquirer's ledger: what the bank believes happened to each card.

It is the ground truth of money rule 1 ("never charge twice"). A test that wants to know whether the
customer ended up paying once, twice or not at all asks `net_charge(card)` here, not the agent's
journal: the point of the simulator is to catch the agent believing something the bank does not.

The ledger never holds a PAN. A card is known by its masked form and a SHA-256 of the PAN computed in
the simulator (the agent's keyed hash is a secret of the install, which the acquirer does not share).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from domain.card import mask_pan
from domain.money import DEFAULT_CURRENCY, Money
from simulator.cardreader.wallet import WALLET

APPROVED = "00"


@dataclass(frozen=True)
class CardKey:
    """How the acquirer recognises a card without keeping its number."""

    masked: str
    sha256: str

    @classmethod
    def of(cls, pan: str) -> CardKey:
        return cls(mask_pan(pan), hashlib.sha256(pan.encode()).hexdigest())

    def __str__(self) -> str:
        return self.masked


def card_key(card: str | CardKey) -> CardKey:
    """A card named the way tests and people name it: a CardKey, a wallet key ('visa') or a PAN."""
    if isinstance(card, CardKey):
        return card
    if card in WALLET:
        return CardKey.of(WALLET[card].pan)
    if card.isascii() and card.isdigit() and 12 <= len(card) <= 19:
        return CardKey.of(card)
    raise ValueError(f"no card {mask_pan(card)!r}: give a wallet key ({', '.join(WALLET)}) or a card number "
                     f"of 12 to 19 digits")


class Reversal(enum.Enum):
    """What a reversal found. Only RELEASED changes the ledger; the acquirer's answer depends on it
    (`simulator.host.core`): 25 for an original it never saw, 12 for one it has already settled."""

    RELEASED = "released"
    REPEAT = "repeat"  # already reversed: a repeat of an acknowledged reversal
    DECLINED = "declined"  # the original was declined: nothing held
    UNKNOWN = "unknown"  # no such original
    SETTLED = "settled"  # the original is in a closed batch: too late to reverse, the charge stands


class Kind(enum.Enum):
    SALE = "sale"  # 0200, processing code 000000
    VOID = "void"  # 0200, processing code 020000: cancels a sale of the open batch
    REFUND = "refund"  # 0200, processing code 200000: credits the card back


@dataclass
class Entry:
    """One financial request (0200) as the acquirer recorded it, declined ones included."""

    kind: Kind
    terminal_id: str
    merchant_id: str
    stan: int
    card: CardKey | None  # None only for a void, which names its sale by RRN
    amount: Money
    response_code: str
    rrn: str
    at: datetime
    auth_code: str = ""
    original_rrn: str = ""  # the sale a void or refund refers to
    reversed: bool = False
    voided: bool = False
    batch: int | None = None  # the settlement batch that closed it; None while the batch is open

    @property
    def approved(self) -> bool:
        return self.response_code == APPROVED

    @property
    def settled(self) -> bool:
        return self.batch is not None and self.approved and not self.reversed

    @property
    def charge(self) -> int:
        """What this entry takes from the card now, in minor units (negative for a refund)."""
        if not self.approved or self.reversed:
            return 0
        if self.kind is Kind.SALE:
            return 0 if self.voided else self.amount.minor
        return -self.amount.minor if self.kind is Kind.REFUND else 0

    @property
    def status(self) -> str:
        if not self.approved:
            return f"declined {self.response_code}"
        for flag in ("reversed", "voided", "settled"):
            if getattr(self, flag):
                return flag
        return "approved"

    def describe(self) -> str:
        return (f"{self.terminal_id} stan {self.stan:06d} {self.kind.value} {self.card or '-'} {self.amount} "
                f"{self.status} rrn {self.rrn}" + (f" auth {self.auth_code}" if self.auth_code else ""))


@dataclass(frozen=True)
class LedgerEvent:
    """One change (or deliberate non-change) to the ledger, in order, for tests and the live log."""

    at: datetime
    action: str
    terminal_id: str
    stan: int
    detail: str = ""


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)
    history: list[LedgerEvent] = field(default_factory=list)
    batches: int = 0
    _open: dict[tuple[str, int], Entry] = field(default_factory=dict, repr=False)

    # -- queries ----------------------------------------------------------------------------

    def entry(self, terminal_id: str, stan: int | str) -> Entry | None:
        """The latest entry with this terminal id and STAN (a STAN is reused only after settlement)."""
        stan = int(stan)
        for entry in reversed(self.entries):
            if entry.terminal_id == terminal_id and entry.stan == stan:
                return entry
        return None

    def open_entry(self, terminal_id: str, stan: int) -> Entry | None:
        return self._open.get((terminal_id, stan))

    def by_rrn(self, rrn: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.rrn == rrn), None)

    def for_card(self, card: str | CardKey) -> list[Entry]:
        key = card_key(card)
        return [entry for entry in self.entries if entry.card == key]

    def net_charge(self, card: str | CardKey, currency: str = DEFAULT_CURRENCY) -> int:
        """Minor units the card has paid: authorized − reversed − voided − refunded."""
        return sum(entry.charge for entry in self.for_card(card) if entry.amount.currency == currency)

    def open_batch(self, terminal_id: str) -> list[Entry]:
        return [entry for entry in self._open.values() if entry.terminal_id == terminal_id]

    def settled_in(self, first_batch: int) -> list[Entry]:
        """Entries that moved money and were settled in batch `first_batch` or later."""
        return [entry for entry in self.entries
                if entry.batch is not None and entry.batch >= first_batch and entry.settled and entry.charge]

    # -- changes ----------------------------------------------------------------------------

    def record(self, entry: Entry) -> None:
        key = (entry.terminal_id, entry.stan)
        if key in self._open:
            raise ValueError(f"terminal {entry.terminal_id} STAN {entry.stan:06d} is already in the open batch")
        self.entries.append(entry)
        self._open[key] = entry
        if entry.approved and entry.kind is Kind.VOID:
            sale = self.by_rrn(entry.original_rrn)
            assert sale is not None, "a void is approved only against a known sale"
            sale.voided = True
        action = {Kind.SALE: "authorized", Kind.VOID: "voided", Kind.REFUND: "refunded"}[entry.kind]
        self._note(entry.at, action if entry.approved else "declined", entry, entry.describe())

    def reverse(self, terminal_id: str, stan: int, at: datetime, *, why: str = "") -> tuple[Reversal, str]:
        """Release an authorization; returns what was found and, for the log, what happened. Unknown,
        declined, already reversed or already settled originals are left alone, and the ledger still tells
        the truth: a settled charge stands (a refund gives it back, not a reversal). `why` goes into the
        history when it was not the terminal that asked (the switch took an approval back)."""
        entry = self.entry(terminal_id, stan)
        if entry is None:
            found, outcome = Reversal.UNKNOWN, "no such transaction: nothing to release"
        elif not entry.approved:
            found, outcome = Reversal.DECLINED, f"original was declined {entry.response_code}: nothing to release"
        elif entry.reversed:
            found, outcome = Reversal.REPEAT, "already reversed: repeat acknowledged"
        elif entry.batch is not None:
            found, outcome = Reversal.SETTLED, "already settled: too late to reverse, refund instead"
        else:
            entry.reversed = True
            if entry.kind is Kind.VOID:
                sale = self.by_rrn(entry.original_rrn)
                assert sale is not None
                sale.voided = False
            detail = entry.describe() + (f" ({why})" if why else "")
            self.history.append(LedgerEvent(at, "reversed", terminal_id, stan, detail))
            return Reversal.RELEASED, "released"
        self.history.append(LedgerEvent(at, "reversal ignored", terminal_id, stan, outcome))
        return found, outcome

    def settle(self, at: datetime, terminal_id: str | None = None) -> list[Entry]:
        """Close the open batch (of one terminal, or all): approved, unreversed entries become settled,
        after which a sale can no longer be voided or reversed, only refunded. Returns those entries."""
        self.batches += 1
        closing = [key for key, entry in self._open.items() if terminal_id in (None, entry.terminal_id)]
        settled = []
        for key in closing:
            entry = self._open.pop(key)
            entry.batch = self.batches
            if entry.settled:
                settled.append(entry)
                self._note(at, "settled", entry, f"batch {self.batches}")
        return settled

    def _note(self, at: datetime, action: str, entry: Entry, detail: str) -> None:
        self.history.append(LedgerEvent(at, action, entry.terminal_id, entry.stan, detail))
