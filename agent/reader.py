"""The agent's card reader: a reader session whose every event is journaled before anyone acts on it.

A card read is journaled masked with its keyed hash (so the same card is recognised later without
keeping its number); the full card goes on, in memory only, to whoever listens (the sale flow).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from agent.journal import Journal
from domain.card import CardHasher
from domain.clock import Clock
from domain.events import CardRead
from drivers.cardreader.session import ReaderSession


class CardReaderService:
    def __init__(
        self,
        journal: Journal,
        hasher: CardHasher,
        *,
        url: str,
        fmt: str,
        clock: Clock,
        baudrate: int = 115200,
        listener: Callable[[Any, int], None] | None = None,
        backoff: tuple[float, ...] | None = None,
    ) -> None:
        self.journal = journal
        self._hasher = hasher
        self._listener = listener
        self.session = ReaderSession(url, fmt, clock=clock, on_event=self._on_event, baudrate=baudrate,
                                     backoff=backoff)

    async def run(self) -> None:
        await self.session.run()

    def stop(self) -> None:
        self.session.stop()

    def _on_event(self, event: Any) -> None:
        if isinstance(event, CardRead):
            event = dataclasses.replace(event, card_hash=self._hasher(event.card.pan).hex)
            stored = self.journal.append_domain(event)
        else:
            stored = self.journal.append_domain(event)
        if self._listener is not None:
            self._listener(event, stored.seq)
