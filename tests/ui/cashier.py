"""The cashier app on a real counter: the app from `agent.ui`, driven by Textual's Pilot, over the counter of
`tests.agent.rig` (virtual clock, virtual acquirer on loopback TCP).

The app and the rig share one event loop. A test presses keys with the pilot, moves the devices and the
clock with the rig, and waits with `settle()`: the rig's `until` for the counter, then the pilot's `pause`
for the app to draw what the counter reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

from agent.cases import CaseSettings, CaseStore
from agent.contacts import ContactStore
from agent.ui import CashierApp
from agent.ui.widgets import Banner, Notice, PromptView, StatusBar
from tests.agent.rig import Rig

KEY = b"k" * 32
SIZE = (80, 24)


class Cashier:
    def __init__(self, rig: Rig, app: CashierApp, pilot: Pilot) -> None:
        self.rig, self.app, self.pilot = rig, app, pilot

    async def settle(self, condition: Callable[[], bool] | None = None, jump: bool = False) -> None:
        if condition is not None:
            await self.rig.until(condition, jump=jump)
        for _ in range(2):  # the message, then the screen it may push drawing itself
            await self.pilot.pause()

    async def type(self, text: str, *then: str) -> None:
        """Type into the focused field: one key event a character, in order, as a keyboard sends them (and the
        keys `then`, e.g. "enter", in the same burst), then wait for the app to take them in. The pilot's
        `press` waits after every key; a field needs no more, and a burst is what a fast typist sends."""
        keys = [events.Key(_character_to_key(char), char) for char in text]
        keys += [events.Key(key, "\r" if key == "enter" else None) for key in then]
        for key in keys:
            key.set_sender(self.app)
            self.app.post_message(key)
        await self.pilot.pause()

    async def clear(self, selector: str) -> None:
        """Empty a field the way a cashier does: focus it and backspace over what is there."""
        field = self.app.screen.query_one(selector)
        field.focus()
        await self.pilot.press("end", *["backspace"] * len(field.value))

    # -- what is on the screen -----------------------------------------------------------------------

    def prompt(self) -> str:
        return self.app.screen.query_one(PromptView).plain

    def status(self) -> str:
        return self.app.screen.query_one(StatusBar).plain

    def banner(self) -> str:
        return self.app.screen.query_one(Banner).plain

    def notice(self) -> str:
        return self.app.screen.query_one(Notice).plain

    def footer(self) -> dict[str, str]:
        """The keys in the footer: key as shown -> its label."""
        return {binding.key_display or binding.key: binding.description
                for _, binding, enabled, _ in self.app.screen.active_bindings.values() if binding.show and enabled}

    def lines(self) -> list[str]:
        """The terminal as the cashier sees it, line by line (Textual's compositor, rendered to text)."""
        return [strip.text for strip in self.app.screen._compositor.render_strips()]


def run(tmp_path: Path, scenario: Callable[[Cashier], Awaitable[None]], *, before=None,
        case_settings: CaseSettings | None = None, unreachable: bool = False, **options) -> None:
    """A rig, a cashier app on its counter at 80x24 in Chinese (times in UTC), and the scenario. `before(rig)`
    runs on the counter before the app opens; `case_settings` are the follow-up rules (the PC's zone by
    default); with `unreachable` the acquirer refuses connections from the start."""
    async def main() -> None:
        rig = Rig(tmp_path / "j.sqlite")
        if unreachable:
            await rig.acquirer.start()
            await rig.acquirer.refuse_connections()
        await rig.start()
        try:
            if before is not None:
                await before(rig)
            app = CashierApp(rig.counter, contacts=ContactStore(rig.journal, KEY),
                             cases=CaseStore(rig.journal, rig.clock, case_settings), tz=UTC, **options)
            async with app.run_test(size=SIZE) as pilot:
                cashier = Cashier(rig, app, pilot)
                await cashier.settle()
                await scenario(cashier)
        finally:
            await rig.stop()
            await rig.acquirer.close()

    asyncio.run(main())
