"""The cashier app's screens as pictures: the scenes the snapshot tests compare (tests/ui/test_snapshots.py)
and the README shows (docs/images/).

A scene is a counter brought to a state on the rig of `tests.agent.rig` (virtual clock from a fixed start,
virtual acquirer on loopback TCP, virtual printer), then the keys a cashier presses, with the app at 80x24
and times shown in UTC, so a picture is the same on every run. The rig starts inside the app's own event
loop, as the app's `Load` handler, because a screenshot runs the app with `App.run` — its own loop.

Regenerate the README's pictures after a change to the screens:

    python -m tests.ui.screenshots          # writes docs/images/*.svg
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import ClassVar

from textual.pilot import Pilot
from textual.widgets import Input

from agent.cases import CaseStore
from agent.contacts import ContactStore
from agent.ui import CashierApp
from agent.ui.widgets import PromptView
from domain.events import DeviceState, ReaderStatus
from tests.agent.rig import Rig

KEY = b"k" * 32
SIZE = (80, 24)
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@dataclass(frozen=True)
class Scene:
    name: str
    before: Callable[[Rig], Awaitable[None]]  # brings the counter to its state before the app opens
    keys: tuple[str, ...] = ()  # then what the cashier types
    shows: str = ""  # in the steps on screen at the end, whatever the language: the scene went as meant


async def _open_for_business(rig: Rig) -> None:
    """The reader reports in (the rig has no card-reader service: its report is fed in as the service sends
    it), and a first sale is approved and its receipt printed, so the printer has reported in too. The
    link's round-trip time is left blank: on the virtual clock it is whatever virtual time passed."""
    rig.counter.device_event(ReaderStatus(DeviceState.ONLINE))
    sale = rig.sale("12.00")
    await rig.until(lambda: rig.flow(sale) is None and rig.counter.screen.printer is not None)
    rig.host.round_trip_ms = None


async def _counter(rig: Rig) -> None:
    await _open_for_business(rig)


async def _network_drop(rig: Rig) -> None:
    """A card charged, then the line to the acquirer drops before the answer: the outcome is unknown."""
    await _open_for_business(rig)
    rig.acquirer.drop_after_request()
    sale = rig.sale("30.00")
    await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
    rig.host.round_trip_ms = None


COUNTER = Scene("counter", _counter, keys=("5", "8", "enter"), shows="CNY 58.00")
NETWORK_DROP = Scene("network-drop", _network_drop, shows="CNY 30.00")
SCENES = (COUNTER, NETWORK_DROP)


def _css_paths(paths: str | Path | list[str | Path] | None) -> list[str | Path]:
    """The app's stylesheets: relative to the module of the class that names them, so named again here."""
    if paths is None:
        return []
    return list(paths) if isinstance(paths, list) else [paths]


class SceneApp(CashierApp):
    """The cashier app on a rig it starts itself when it loads, in its own event loop, and stops when it
    unmounts. Run it with `App.run` or `run_test`, or hand it to pytest-textual-snapshot's `snap_compare`."""

    CSS_PATH: ClassVar = [Path(inspect.getfile(CashierApp)).parent / path for path in _css_paths(CashierApp.CSS_PATH)]

    def __init__(self, scene: Scene, journal: Path, *, language: str) -> None:
        super().__init__(None, contacts=None, cases=None, language=language, tz=UTC)  # type: ignore[arg-type]
        self.scene = scene
        self.rig = Rig(journal, printer=True)

    async def on_load(self) -> None:
        rig = self.rig
        await rig.start()
        self.counter = rig.counter
        self.contacts = ContactStore(rig.journal, KEY)
        self.cases = CaseStore(rig.journal, rig.clock)
        await self.scene.before(rig)

    async def on_unmount(self) -> None:
        if self.rig.task is None:  # never started
            await self.rig.acquirer.close()
            return
        await self.rig.stop()
        await self.rig.acquirer.close()
        if self.rig.printer_port is not None:
            await self.rig.printer_port.close()

    async def play(self, pilot: Pilot) -> None:
        """The scene's keys, once the screen has taken the focus, then time for the app to draw what the
        counter reported. The cursor is drawn still."""
        await pilot.pause()
        await pilot.press(*self.scene.keys)
        for field in self.screen.query(Input):  # a blinking cursor is on or off by the wall clock
            field.cursor_blink = False
        await self.rig.settle()
        for _ in range(3):
            await pilot.pause()
        steps = self.screen.query_one(PromptView).plain
        assert self.scene.shows in steps, f"scene {self.scene.name}: {self.scene.shows!r} not in {steps!r}"


def screenshot(scene: Scene, journal: Path, language: str) -> str:
    """The scene as an SVG, the way `snap_compare` takes it."""
    async def main() -> str:
        app = SceneApp(scene, journal, language=language)
        async with app.run_test(size=SIZE) as pilot:
            await app.play(pilot)
            return app.export_screenshot()
    return asyncio.run(main())


# The README's pictures: the counter screen as it opens (in Chinese), a recovery prompt in English (F12).
PICTURES = (("counter.svg", COUNTER, "zh-CN"), ("recovery-network-drop.svg", NETWORK_DROP, "en"))


def main() -> int:
    import tempfile

    from pytest_textual_snapshot import normalize_svg

    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, scene, language in PICTURES:
        with tempfile.TemporaryDirectory() as tmp:
            svg = screenshot(scene, Path(tmp) / "journal.sqlite", language)
        (IMAGES / name).write_text(normalize_svg(svg), encoding="utf-8")  # no random id: same scene, same file
        print(f"docs/images/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
