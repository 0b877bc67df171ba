"""`recoup sim` under Textual's Pilot: the simulator app on its own replay of the agent and the virtual devices,
in the test's event loop. A test presses keys with the pilot and waits with `settle()` — for the session to
finish every step asked for (the engine's own quiet spell: nothing under way), then for the app to draw what
it reported. No wall-clock sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from agent.ui.widgets import PromptView
from simulator.app.app import SimApp
from simulator.app.widgets import EventLog, KeysBar, PaperRoll, StepsPanel
from simulator.replay.scenario import Scenario

SIZE = (120, 40)  # the least the simulator is laid out for


class Sim:
    def __init__(self, app: SimApp, pilot: Pilot) -> None:
        self.app, self.pilot = app, pilot

    async def settle(self) -> None:
        await self.app.session.idle()
        for _ in range(2):  # the session's reports (and the redraw they set off), then a form they push drawing
            await self.pilot.pause()

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()

    async def focus(self, selector: str) -> None:
        self.app.screen.query_one(selector).focus()
        await self.pilot.pause()

    # -- what is on the screen -----------------------------------------------------------------------

    def steps(self) -> list[list[str]]:
        return self.app.main.query_one(StepsPanel).query_one("#steps").plain

    def log(self) -> list[str]:
        return self.app.main.query_one(EventLog).lines_plain

    def paper(self) -> list[str]:
        return self.app.main.query_one(PaperRoll).receipts

    def till(self) -> str:
        return self.app.main.query_one("#till", PromptView).plain

    def recovery(self) -> str:
        return self.app.main.query_one("#recovery", PromptView).plain

    def footer(self) -> str:
        return self.app.main.query_one(KeysBar).plain


def run(body: Callable[[Sim], Awaitable[None]], *, scenario: Scenario | None = None, record: Path | None = None,
        language: str = "en") -> None:
    async def main() -> None:
        app = SimApp(scenario=scenario, record=record, language=language)
        async with app.run_test(size=SIZE) as pilot:
            sim = Sim(app, pilot)
            await sim.settle()
            await body(sim)

    asyncio.run(main())
