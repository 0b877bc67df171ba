"""A framed reader and the agent on a cable that spoils bytes in both directions, in virtual time.

The bar: every card presented reaches the agent exactly once, and no spoiled card data is ever
accepted as a card read. Each read is compared with the card that was actually presented.
"""

from __future__ import annotations

import random
from collections import deque
from itertools import cycle

import pytest

from domain.events import CardRead, EntryMode, LineNoise, ReadError
from drivers.cardreader.framed import CommandFailed, FramedReader
from drivers.cardreader.payload import Display
from simulator.cardreader.device import FramedDevice, corrupt
from simulator.cardreader.wallet import VALID_KEYS, WALLET
from tests.drivers.cardreader.strategies import TODAY

BYTE_TIME = 10 / 9600  # one byte at 9600 baud, 8N1


class Wire:
    """One direction of the cable: bytes arrive once transmitted, in uneven chunks (as a USB-serial
    adapter hands them over), some of them spoiled."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        self._rng = rng
        self._rate = rate
        self._in_flight: deque[tuple[float, bytes]] = deque()
        self._free_at = 0.0

    def write(self, data: bytes, now: float) -> None:
        data = corrupt(data, self._rate, self._rng)
        at = max(now, self._free_at)
        while data:
            size = self._rng.randint(1, 32)
            chunk, data = data[:size], data[size:]
            at += len(chunk) * BYTE_TIME
            self._in_flight.append((at, chunk))
        self._free_at = at

    def next_arrival(self) -> float | None:
        return self._in_flight[0][0] if self._in_flight else None

    def deliver(self, now: float, endpoint) -> None:
        while self._in_flight and self._in_flight[0][0] <= now:
            endpoint.receive_data(self._in_flight.popleft()[1], now)


class Counter:
    """The reader, the agent and the cable between them, on a virtual clock."""

    def __init__(self, seed: int, rate: float) -> None:
        rng = random.Random(seed)
        self.device, self.agent = FramedDevice(), FramedReader()
        self.up, self.down = Wire(rng, rate), Wire(rng, rate)
        self.now = 0.0
        self.agent_events: list = []
        self.commands: list = []

    def settle(self) -> None:
        """Run until nothing is in flight and no timer is set: every frame acknowledged or given up."""
        while True:
            if out := self.device.data_to_send():
                self.up.write(out, self.now)
            if out := self.agent.data_to_send():
                self.down.write(out, self.now)
            while (event := self.agent.next_event(TODAY)) is not None:
                self.agent_events.append(event)
            while (command := self.device.next_command()) is not None:
                self.commands.append(command)
            due = [t for t in (self.up.next_arrival(), self.down.next_arrival(), self.device.get_timer(),
                               self.agent.get_timer()) if t is not None]
            if not due:
                return
            self.now = max(self.now, min(due))
            self.up.deliver(self.now, self.agent)
            self.down.deliver(self.now, self.device)
            self.device.handle_timer(self.now)
            self.agent.handle_timer(self.now)


@pytest.mark.parametrize(("seed", "rate", "presentations"), [(1, 0.01, 300), (2, 0.01, 300), (3, 0.05, 200)])
def test_every_presentation_arrives_once_and_intact(seed, rate, presentations):
    counter = Counter(seed, rate)
    presented, displayed = [], []
    plan = cycle((key, mode) for key in VALID_KEYS for mode in EntryMode)
    for number in range(presentations):
        key, mode = next(plan)
        display = Display(f"sale {number}", "请插卡 / insert card")
        counter.agent.send_command(display, counter.now)
        counter.device.present(WALLET[key], mode, counter.now)
        presented.append(CardRead(WALLET[key].to_card(), mode))
        displayed.append(display)
        counter.settle()

    reads = [event for event in counter.agent_events if isinstance(event, CardRead)]
    assert reads == presented  # exactly once each, in order, and every field as on the card
    assert not [event for event in counter.agent_events if isinstance(event, ReadError)]
    assert sum(isinstance(event, LineNoise) for event in counter.agent_events) > presentations * rate

    failed = [event.command for event in counter.agent_events if isinstance(event, CommandFailed)]
    assert len(set(map(repr, counter.commands))) == len(counter.commands)  # none delivered twice
    assert [c for c in displayed if c in counter.commands] == counter.commands  # in order, unspoiled
    assert set(map(repr, displayed)) <= set(map(repr, counter.commands + failed))  # none lost silently
