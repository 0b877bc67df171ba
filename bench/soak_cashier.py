"""The soak's cashier: sale after sale at the agent in its own process, with faults on a schedule.

Every sale goes the way a counter's would: the amount keyed, the card presented at the virtual reader
(a pty away), the authorization over loopback TCP, the receipt to the virtual printer. A seeded schedule
mixes in the faults of a working day — the link dropped after the acquirer charged, a request lost, a
decline, paper running out mid-receipt, the cover open, line noise, a bad swipe — and the cashier
answers each as the screen asks: pays another way, takes the customer's details (or records that they
declined), loads paper and presses 'fixed'.

Time is the agent's virtual clock. A clean sale needs no timer; a fault's recovery does (a reconnect
back-off, a reversal's retry), so while the cashier waits on one, virtual time jumps to the next timer
whenever the agent has been quiet for `QUIET` seconds of wall time.

Measured here, in the agent's process: each sale's wall time from the amount keyed to the sale done, and
the agent's own share of a clean sale — from the card read committed to the 0200 on the wire, and from
the 0210 journaled to the receipt's bytes at the printer — the journal commits and the flows, without
the acquirer's, the printer's or the pty's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from agent.printer import jobs_on_record
from domain.money import Money

QUIET = 0.05  # seconds of wall time with nothing happening before virtual time may jump (as a replay)
STUCK = 30.0  # seconds of wall time a sale may take before it is reported stuck
VIRTUAL_LIMIT = 30 * 60.0  # seconds of virtual time one sale's recovery may take
CARDS = ("visa", "mastercard", "unionpay", "unionpay_19", "amex", "visa_other")
DECLINE_ENDINGS = (5, 14, 51, 54, 91, 96)  # amount endings (minor units) the acquirer declines
# kind → weight in the day's mix
MIX = {"clean": 80, "declined": 5, "dropped": 4, "request_lost": 3, "paper_end": 3, "cover_open": 2,
       "noise": 2, "bad_swipe": 1}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛")


class Stuck(Exception):
    """A sale did not get where it should within the limits: the soak reports it and goes on."""


def schedule(sales: int, seed: int) -> list[str]:
    """The day's mix, in a seeded order: the same soak for the same seed. It opens with one sale of each
    kind, so even a short soak meets every fault."""
    rng = random.Random(f"soak:{seed}")
    kinds = list(MIX)
    return (kinds + rng.choices(kinds, weights=[MIX[kind] for kind in kinds], k=max(0, sales - len(kinds))))[:sales]


def amount(rng: random.Random, kind: str) -> Money:
    yuan = rng.randint(1, 499)
    if kind == "declined":
        return Money(yuan * 100 + rng.choice(DECLINE_ENDINGS))
    cents = rng.randint(0, 99)
    while cents in DECLINE_ENDINGS:
        cents = rng.randint(0, 99)
    return Money(yuan * 100 + cents)


class Cashier:
    def __init__(self, replay: Any, link: Any, seed: int) -> None:
        self.replay = replay
        self.link = link
        self.station = replay.station_
        self.counter = self.station.counter
        self.clock = replay.clock
        self.rng = random.Random(f"cashier:{seed}")
        self.contacts: list[dict[str, str]] = []  # what the cashier typed into the contact form
        self.marks: dict[str, float] = {}  # the instrumented points of the sale under way, first seen

    # -- waiting ---------------------------------------------------------------------------------------

    async def until(self, done: Callable[[], bool], what: str, *, jump: bool = False) -> None:
        """Wait until `done`; with `jump`, let virtual time run to each next timer while the agent is quiet."""
        began = time.monotonic()
        limit = self.clock.monotonic() + VIRTUAL_LIMIT
        seen, quiet_since = -1, began
        while not done():
            await asyncio.sleep(0.001)
            now = time.monotonic()
            if self.replay._activity != seen:
                seen, quiet_since = self.replay._activity, now
            elif jump and now - quiet_since >= QUIET:
                due = self.clock.next_due()
                if due is None or due > limit:
                    raise Stuck(f"{what}: nothing left to wait for at t={self.clock.monotonic():g}s")
                self.clock.jump()
                quiet_since = now
            if now - began > STUCK:
                raise Stuck(f"{what}: not within {STUCK:g} s of wall time")

    def flow(self, sale: str) -> Any:
        return self.counter.flow_of(sale)

    def at(self, sale: str, name: str, state: str | None = None) -> Callable[[], bool]:
        def reached() -> bool:
            flow = self.flow(sale)
            return flow is not None and flow.name == name and (state is None or flow.state.name == state)
        return reached

    def over(self, sale: str) -> Callable[[], bool]:
        """The sale and its recovery are finished, its paper is out, and the link is up for the next customer."""
        host, journal = self.counter.host, self.station.journal
        return lambda: (self.flow(sale) is None and host is not None and host.up and not host.saf.pending()
                        and not any(job.open for job in jobs_on_record(journal, sale).values()))

    async def finish(self, sale: str, what: str, *, jump: bool = False) -> None:
        """Wait for the sale to be over; a printer that cannot say whether the receipt came out (it went
        silent after the bytes left) is seen to as the screen asks — paper checked, 'fixed' pressed — and
        the copy that follows is marked DUPLICATE."""
        fixing = self.at(sale, "printer_fault", "FIXING")
        for _ in range(3):
            await self.until(lambda: self.over(sale)() or fixing(), what, jump=jump)
            if not fixing():
                return
            self.link.call("printer_clear")
            self.counter.act(self.flow(sale).flow_id, "printer_fixed")
            jump = True
        await self.until(self.over(sale), what, jump=True)

    # -- one sale --------------------------------------------------------------------------------------

    async def sell(self, kind: str) -> str:
        card = self.rng.choice(CARDS)
        self.marks.clear()
        if kind == "dropped":
            self.link.call("acquirer", "fault drop")
        elif kind == "request_lost":
            self.link.call("acquirer", "fault reset")
        elif kind == "paper_end":
            self.link.call("printer", f"paper end after {self.rng.randint(100, 900)}")
        elif kind == "cover_open":
            self.link.call("printer", "cover open")
        sale = self.counter.start_sale(amount(self.rng, kind))
        if kind == "noise":
            self.link.call("reader", f"noise {self.rng.randint(1, 256)}")
        elif kind == "bad_swipe":
            self.link.call("reader", "bad")
        self.link.call("reader", f"present {card} chip")
        if kind in ("clean", "bad_swipe"):
            await self.finish(sale, f"{sale} approved and printed")
        elif kind == "noise":  # a frame the noise garbled is sent again once the reader's wait runs out
            await self.finish(sale, f"{sale} approved and printed through the noise", jump=True)
        elif kind == "declined":
            await self.until(self.at(sale, "declined"), f"{sale} declined")
            self.counter.act(self.flow(sale).flow_id, "other_payment", method="cash")
            await self.finish(sale, f"{sale} paid in cash")
        elif kind in ("dropped", "request_lost"):
            await self.until(self.at(sale, "network_drop"), f"{sale} dropped", jump=True)
            flow = self.flow(sale)
            await self.until(lambda: flow.state.name in ("OUTCOME_UNKNOWN", "NOTHING_CHARGED", "RETRY_OFFERED"),
                             f"{sale} outcome known to be unknown or nothing", jump=True)
            self.counter.act(flow.flow_id, "other_payment", method="cash")
            if flow.state.name == "CAPTURING_CONTACT":
                self.leave_details(flow.flow_id)
            await self.finish(sale, f"{sale} reversed or paid otherwise", jump=True)
        else:  # the printer
            await self.until(self.at(sale, "printer_fault", "FIXING"), f"{sale} printer fault", jump=True)
            self.link.call("printer_clear")
            self.counter.act(self.flow(sale).flow_id, "printer_fixed")
            await self.finish(sale, f"{sale} printed after the fix", jump=True)
        return sale

    def leave_details(self, flow_id: str) -> None:
        """One customer in five declines; the others leave a phone number (and an e-mail, now and then)."""
        contacts = self.station.contacts
        if self.rng.random() < 0.2:
            contacts.record_declined(case_id=flow_id)
            self.counter.act(flow_id, "contact_declined")
            return
        details = {"name": self.rng.choice(SURNAMES) + self.rng.choice(GIVEN) + self.rng.choice(GIVEN),
                   "phone": f"139{self.rng.randint(0, 99_999_999):08d}"}
        if self.rng.random() < 0.3:
            details["email"] = f"customer{len(self.contacts)}@example.com"
        self.contacts.append(details)
        contact_id = contacts.record(consent=True, channel="sms", case_id=flow_id, **details)
        self.counter.act(flow_id, "contact_saved", contact_id=contact_id)

    # -- the agent's own time --------------------------------------------------------------------------

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, time.perf_counter())

    def agent_share(self) -> float | None:
        """Of a clean sale: card read committed → 0200 sent, plus 0210 journaled → receipt sent."""
        m = self.marks
        try:
            return (m["send acquirer 0200"] - m["journal card_read"]) + \
                (next(v for k, v in m.items() if k.startswith("send printer")) - m["journal host_response"])
        except (KeyError, StopIteration):
            return None


async def sell(replay: Any, link: Any, job: dict[str, Any], points: Any) -> dict[str, Any]:
    """The soak's day: `job['sales']` sales in the scheduled mix; what happened, and how long each took."""
    cashier = Cashier(replay, link, job.get("seed", 0))
    points.on_point = cashier.mark
    kinds = schedule(job["sales"], job.get("seed", 0))
    walls: dict[str, list[float]] = {}
    shares: list[float] = []
    stuck: list[str] = []
    done = Counter[str]()
    began = time.perf_counter()
    for number, kind in enumerate(kinds, 1):
        started = time.perf_counter()
        try:
            await cashier.sell(kind)
        except Stuck as exc:
            stuck.append(f"sale {number} ({kind}): {exc}")
            with contextlib.suppress(Stuck):  # reported with the sale; the audit at the end says what it cost
                await cashier.until(lambda: not replay.in_flight(), "the agent drains", jump=True)
            continue
        walls.setdefault(kind, []).append(time.perf_counter() - started)
        done[kind] += 1
        if kind == "clean" and (share := cashier.agent_share()) is not None:
            shares.append(share)
        if number % job.get("progress_every", 1000) == 0:
            link.note("progress", number, time.perf_counter() - began)
    return {"sales": len(kinds), "done": dict(done), "stuck": stuck, "wall_s": round(time.perf_counter() - began, 3),
            "virtual_s": round(replay.clock.monotonic(), 1), "walls": walls, "agent_share": shares,
            "contacts": cashier.contacts}
