"""`recoup sim` as a picture for docs/simulator.md: a clean sale, then a sale whose line drops after the
acquirer charged the card — the cashier's screen says "result unknown, do not swipe again", the first
receipt is on the paper roll, the steps and the agent's journal in the log. Driven with the keys a person
presses, on the simulator's own replay (virtual clock from the scenario's fixed start), at 160x45.

Regenerate it after a change to the simulator's screen:

    python -m tests.sim.screenshots          # writes docs/images/sim.svg
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from textual.widgets import Input

from simulator.app.app import SimApp
from tests.sim.driver import Sim

SIZE = (160, 45)
IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "sim.svg"


async def stage(sim: Sim) -> None:
    await sim.settle()
    await sim.pilot.press(*"58", "enter")
    await sim.settle()
    await sim.focus("#wallet")
    await sim.press("c")  # visa, by chip: approved, the receipt printed
    await sim.focus("#amount")
    await sim.pilot.press(*"30", "enter")
    await sim.settle()
    await sim.focus("#acquirer-commands")
    await sim.press("d")  # the acquirer applies the next request, then drops the line
    await sim.focus("#wallet")
    await sim.press("down", "down", "t")  # unionpay, tapped
    for field in sim.app.screen.query(Input):  # a blinking cursor is on or off by the wall clock
        field.cursor_blink = False
    await sim.settle()
    assert "do not swipe again" in sim.recovery().lower(), sim.recovery()


def screenshot() -> str:
    async def main() -> str:
        app = SimApp(language="en")
        async with app.run_test(size=SIZE) as pilot:
            await stage(Sim(app, pilot))
            return app.export_screenshot()
    return asyncio.run(main())


def main() -> int:
    from pytest_textual_snapshot import normalize_svg

    IMAGE.parent.mkdir(parents=True, exist_ok=True)
    IMAGE.write_text(normalize_svg(screenshot()), encoding="utf-8")
    print(f"docs/images/{IMAGE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
