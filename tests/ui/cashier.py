"""The cashier app on a real counter: the app from `agent.ui`, driven by Textual's Pilot, over the counter of
`tests.agent.rig` (virtual clock, virtual acquirer on loopback TCP).

The app and the rig share one event loop. A test presses keys with the pilot, moves the devices and the
clock with the rig, and waits with `settle()`: the rig's `until` for the counter, then the pilot's `pause`
for the app to draw what the counter reported.
"""

from __future__ import annotations

import asyncio
import html
import re
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path

from rich.cells import cell_len
from textual import events
from textual.app import App
from textual.pilot import Pilot

from agent.cases import CaseSettings, CaseStore
from agent.contacts import ContactStore
from agent.ui import CashierApp
from agent.ui.widgets import Banner, Notice, PromptView, StatusBar
from tests.agent.rig import Rig

KEY = b"k" * 32
SIZE = (80, 24)
# A run of text in the SVG a screenshot is: its x, its width, its line, the text (Rich's export_svg).
_SVG_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
                       r'clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>')


def key_of(char: str) -> str:
    """The key a terminal reports for a typed character: itself for a letter or digit, "tab" for a tab, its
    Unicode name otherwise ("." is full_stop), as Textual names keys."""
    if char.isalnum():
        return char
    if char == "\t":
        return "tab"
    return unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")


async def burst(pilot: Pilot, text: str, *then: str) -> None:
    """Type into the focused field: one key event a character, in order, as a keyboard sends them (and the
    keys `then`, e.g. "enter", in the same burst), then wait for the app to take them in. The pilot's
    `press` waits after every key; a field needs no more, and a burst is what a fast typist sends."""
    keys = [events.Key(key_of(char), char) for char in text]
    keys += [events.Key(key, {"enter": "\r", "space": " "}.get(key)) for key in then]
    for key in keys:
        key.set_sender(pilot.app)
        pilot.app.post_message(key)
    await pilot.pause()


def screen_lines(app: App) -> list[str]:
    """The terminal as the cashier sees it, line by line: read back from the app's own screenshot."""
    svg = app.export_screenshot()
    rows: dict[int, list[tuple[float, str]]] = {}
    cell = 0.0
    for x, length, line, body in _SVG_TEXT.findall(svg):
        text = html.unescape(body).replace("\xa0", " ")
        cell = cell or float(length) / len(text)  # every run is as wide as its characters
        rows.setdefault(int(line), []).append((float(x), text))
    lines = []
    for number in range(app.size.height):
        cells: list[str] = []
        for x, text in sorted(rows.get(number, [])):
            cells += [" "] * (round(x / cell) - len(cells))
            for char in text:
                cells += [char] + [""] * (cell_len(char) - 1)
        lines.append("".join(cells))
    return lines


class Cashier:
    def __init__(self, rig: Rig, app: CashierApp, pilot: Pilot) -> None:
        self.rig, self.app, self.pilot = rig, app, pilot

    async def settle(self, condition: Callable[[], bool] | None = None, jump: bool = False) -> None:
        if condition is not None:
            await self.rig.until(condition, jump=jump)
        for _ in range(2):  # the message, then the screen it may push drawing itself
            await self.pilot.pause()

    async def type(self, text: str, *then: str) -> None:
        await burst(self.pilot, text, *then)

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
        return screen_lines(self.app)


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
