"""The money rules held against the ground truth: the agent's journal against the virtual acquirer's ledger,
the requests that reached the acquirer, and the paper that came out of the virtual printer.

Tests, the crash-injection bench and the soak all ask the same questions after a run, however it ended:
is every authorization the agent acted on as approved charged exactly once, and every other one charged
nothing (rule 1)? Did every request that reached the acquirer leave a journal record (rule 2)? Does every
receipt on the paper that says paid stand for an approval, and is every further copy of it marked
重打印 / DUPLICATE (rule 3)? Each broken rule is one line of text naming the sale, the STAN and what each
side holds; an empty list is a run that kept them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.journal import Journal
from drivers.printer.layout import DUPLICATE
from simulator.host.ledger import Ledger

APPROVED_LINE = "交易成功 APPROVED"
NOT_PAID = "未付款 / NOT PAID"
VOID = "交易撤销 / VOID"
SALE = "0200"
PURCHASE = "000000"  # processing code of a sale; a void (020000) or refund (200000) takes money back
VOID_CODE = "020000"
# Requests the acquirer may receive that move money or settle it; the echo test (0800) moves nothing.
FINANCIAL = frozenset({"0100", "0200", "0220", "0400", "0420", "0500", "0520"})
_PAIR = re.compile(r"^(交易编号 SALE ID|凭证号 STAN|案件号 CASE|原凭证号 ORIGINAL STAN)\s+(\S+)\s*$", re.MULTILINE)


@dataclass
class Audit:
    """What a run left: per sale, the minor units its customer paid by card, and every rule it broke."""

    paid: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    receipts: int = 0  # sale receipts the agent queued
    paper: int = 0  # pieces of paper the printer put out

    def __bool__(self) -> bool:
        return not self.violations


def audit(journal: Journal, ledger: Ledger, terminal_id: str, *, received: Iterable[tuple[str, str]] | None = None,
          paper: Iterable[tuple[str, bool]] | None = None) -> Audit:
    """Hold the journal against the ledger (rule 1), and — when given — the requests the acquirer received
    from this terminal as (MTI, STAN) (rule 2) and the paper as (text, torn) pairs (rule 3)."""
    result = Audit()
    _charges(journal, ledger, terminal_id, result)
    if received is not None:
        _written_before_the_wire(journal, received, result)
    if paper is not None:
        _paper(list(paper), ledger, terminal_id, result)
    return result


def _charges(journal: Journal, ledger: Ledger, terminal: str, result: Audit) -> None:
    """An authorization the agent acted on as approved (its receipt is queued) is charged exactly once;
    every other one — declined, reversed, never answered — has taken nothing."""
    broken = result.violations.append
    receipts: dict[tuple[str, str], int] = {}
    # A receipt found unpaid is cancelled by a printed NOT PAID slip: the agent no longer believes it.
    queued = [event.payload["document"] for event in journal.events(kind="receipt_to_print")]
    cancelled = {document["receipt_id"] for document in queued if document["type"] == "not_paid"}
    for document in queued:
        if document["type"] != "sale":  # a slip (contact, not paid, void) never says paid
            if "status" in document:
                broken(f"a {document['type']} slip for {document.get('sale_id')} says {document['status']}")
            continue
        result.receipts += 1
        key = (document["sale_id"], document["stan"])
        minor = 0 if f"{key[0]}-{key[1]}" in cancelled else document["amount"]["minor"]
        if key in receipts:
            broken(f"two receipts queued for sale {key[0]} STAN {key[1]}")
        receipts[key] = minor
    # every request is journaled on its sale's stream (agent.host)
    requests = [(event.stream or "", event.payload["request"]) for event in journal.events(kind="host_request")]
    # A sale whose charge was taken back by an approved void is believed to hold nothing; a refund is a
    # charge of its own (negative) beside the sale's, which still holds the amount.
    cancels = {request["11"]: (stream, request["3"]) for stream, request in requests
               if request["t"] == SALE and request["3"] != PURCHASE}
    for event in journal.events(kind="host_response"):
        response = event.payload.get("response", {})
        answered = cancels.get(response.get("11"))
        if answered and answered[1] == VOID_CODE and response.get("39") == "00":
            for key in [key for key in receipts if key[0] == answered[0]]:
                receipts[key] = 0
    # A reversal the acquirer refused for good (it had settled the charge) leaves the agent believing the
    # charge stands, though no receipt says so: the manager has the case.
    standing = {(event.stream or "", event.payload["stan"]) for event in journal.events(kind="reversal_refused")}
    stans: dict[str, str] = {}
    for sale, request in requests:
        if request["t"] != SALE:
            continue
        stan = request["11"]
        if stan in stans:
            broken(f"STAN {stan} sent for {sale} was already used for {stans[stan]} in the open batch")
        stans[stan] = sale
        entry = ledger.entry(terminal, stan)
        charged = entry.charge if entry is not None else 0
        result.paid[sale] = result.paid.get(sale, 0) + charged
        if request["3"] != PURCHASE:  # a void or refund: what it gave back counts with its sale
            continue
        believed = receipts.pop((sale, stan), int(request["4"]) if (sale, stan) in standing else 0)
        if charged != believed:
            broken(f"sale {sale} STAN {stan}: the acquirer holds {charged}, the agent believes {believed} "
                   f"({entry.describe() if entry else 'never reached the acquirer'})")
    for (sale, stan), _ in receipts.items():
        broken(f"a receipt for sale {sale} STAN {stan}, an authorization never sent")
    for sale, minor in result.paid.items():
        started = list(journal.events(kind="sale_started", stream=sale))
        amount = started[0].payload["amount"]["minor"] if started else None
        if minor not in (0, amount):
            broken(f"sale {sale} of {amount} paid {minor} by card: charged twice?")
    for entry in ledger.entries:
        if entry.charge and entry.terminal_id == terminal and f"{entry.stan:06d}" not in stans:
            broken(f"a charge the agent has no record of: {entry.describe()}")


def _written_before_the_wire(journal: Journal, received: Iterable[tuple[str, str]], result: Audit) -> None:
    """Every request that can move money reached the acquirer only after its journal record (rule 2): a
    request the acquirer holds with no record is one the agent could not recover after a crash."""
    written: set[tuple[str, str]] = set()
    for kind in ("host_request", "reversal_attempt"):
        for event in journal.events(kind=kind):
            request = event.payload.get("request", {})
            written.add((request.get("t", ""), request.get("11", "")))
    for mti, stan in received:
        if mti in FINANCIAL and (mti, stan) not in written:
            result.violations.append(f"the acquirer received {mti} STAN {stan}, which the journal has no record of")


def _paper(paper: list[tuple[str, bool]], ledger: Ledger, terminal: str, result: Audit) -> None:
    """Paper that says paid stands for an approval, unless a slip printed later cancels it; and of each
    receipt or slip, at most one copy is without the 重打印 / DUPLICATE mark."""
    result.paper = len(paper)
    unmarked: Counter[tuple[str, ...]] = Counter()
    # A NOT PAID slip names the receipt it cancels by that receipt's own sale id and STAN.
    cancelled = {(facts.get("交易编号 SALE ID"), facts.get("凭证号 STAN"))
                 for text, _ in paper if NOT_PAID in text for facts in [dict(_PAIR.findall(text))]}
    for text, torn in paper:
        facts = dict(_PAIR.findall(text))
        sale, stan = facts.get("交易编号 SALE ID"), facts.get("凭证号 STAN")
        kind = ("not paid" if NOT_PAID in text else "void" if VOID in text
                else "sale" if APPROVED_LINE in text or (torn and stan) else "slip")
        if sale is None:
            continue  # torn before it said which sale: nothing on it can mislead anyone
        identity = (kind, sale, stan or facts.get("案件号 CASE", ""))
        if DUPLICATE not in text:
            unmarked[identity] += 1
        if kind != "sale" or stan is None or APPROVED_LINE not in text:
            continue
        entry = ledger.entry(terminal, stan)
        if entry is None or not entry.approved:
            result.violations.append(f"paper says sale {sale} STAN {stan} was paid; the acquirer "
                                     f"{'never had it' if entry is None else 'declined it'}")
        elif entry.reversed and (sale, stan) not in cancelled:
            result.violations.append(f"paper says sale {sale} STAN {stan} was paid; the acquirer reversed it "
                                     f"and no NOT PAID slip cancels the receipt")
    for identity, copies in unmarked.items():
        if copies > 1:
            result.violations.append(f"{copies} copies of the {identity[0]} receipt of {identity[1]} "
                                     f"({identity[2]}) without the {DUPLICATE} mark")
