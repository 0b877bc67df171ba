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
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from textual.pilot import Pilot
from textual.widgets import Input

from agent.cases import CaseSettings, CaseStore
from agent.contacts import ContactStore
from agent.ui import CashierApp
from domain.card import MaskedPan
from domain.effects import OpenCase, SaleFacts
from domain.events import DeviceState, ReaderStatus, record
from domain.ids import Stan
from domain.money import Money
from tests.agent.rig import Rig
from tests.ui.cashier import burst, screen_lines

KEY = b"k" * 32
SIZE = (80, 24)
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
CASES = CaseSettings(timezone="UTC")  # follow-ups in the zone the times are shown in, whatever the PC's


@dataclass(frozen=True)
class Typed:
    """Text typed into the focused field in one burst, with the keys after it (tab, space, F5…)."""

    text: str
    then: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scene:
    name: str
    before: Callable[[Rig], Awaitable[None]]  # brings the counter to its state before the app opens
    keys: tuple[str | Typed, ...] = ()  # then what the cashier presses, and types
    shows: str | dict[str, str] = ""  # on screen at the end (per language, if it differs): the scene went as meant


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


async def _day_of_trade(rig: Rig) -> None:
    """Open for business, and one more sale: the batch the end of day settles."""
    await _open_for_business(rig)
    sale = rig.sale("58.00")
    await rig.until(lambda: rig.flow(sale) is None)
    rig.host.round_trip_ms = None


def _opened(rig: Rig, case_id: str, case_type: str, sale: str, amount: str, at: datetime,
            contact_id: str | None = None) -> None:
    effect = OpenCase(case_id, case_type, (sale,), Money.parse(amount), MaskedPan.parse("411111******1111"),
                      contact_id)
    rig.journal.append("case_opened", record(effect)[1], stream=sale, at=at)


async def _cases(rig: Rig) -> None:
    """Three cases opened in the days before, one with its customer's phone (SMS preferred), the message
    drafted for them and two attempts to reach them; one of them since settled."""
    await _open_for_business(rig)
    drop = "network_drop-101"
    contact = ContactStore(rig.journal, KEY).record(consent=True, phone="13800138000", channel="sms", case_id=drop)
    _opened(rig, drop, "network_drop", "sale-91", "30.00", datetime(2026, 1, 2, 10, 0, tzinfo=UTC), contact)
    _opened(rig, "receipt_unpaid-102", "receipt_unpaid", "sale-92", "12.50", datetime(2026, 1, 2, 15, 30, tzinfo=UTC))
    _opened(rig, "wrong_card-103", "wrong_card", "sale-93", "58.00", datetime(2026, 1, 4, 11, 0, tzinfo=UTC))
    sale = SaleFacts("sale-91", Money.parse("30.00"), MaskedPan.parse("411111******1111"), stan=Stan(91),
                     sent_at=datetime(2026, 1, 2, 9, 58, tzinfo=UTC), response_code=None)
    rig.counter.outbox.draft(drop, "network_drop.hold_released", sale, contact)
    cases = CaseStore(rig.journal, rig.clock, CASES)
    cases.record_attempt(drop, channel="sms", outcome="sent", who="li", note="已告知冲正进度",
                         at=datetime(2026, 1, 2, 10, 30, tzinfo=UTC))
    cases.record_attempt(drop, channel="phone", outcome="no_answer", who="li",
                         at=datetime(2026, 1, 3, 9, 30, tzinfo=UTC))
    cases.close("wrong_card-103", resolution="voided", who="li")


PHONE_FIELD = ("f4", "tab")  # the customer leaves: the contact form; past the name to the phone
COUNTER = Scene("counter", _counter, keys=("5", "8", "enter"), shows="CNY 58.00")
NETWORK_DROP = Scene("network-drop", _network_drop, shows="CNY 30.00")
CONTACT_FORM = Scene("contact-form", _network_drop, keys=("f4",), shows="network_drop-3")
CONTACT_REFUSED = Scene("contact-refused", _network_drop, keys=(*PHONE_FIELD, Typed("12345", ("f5",))),
                        shows={"zh-CN": "5 位只是本地号码，请加上区号", "en": "5 digits is only a local number"})
CONTACT_SAVED = Scene("contact-saved", _network_drop,  # phone, then past email, WeChat and channel to consent
                      keys=(*PHONE_FIELD, Typed("13800138000"), "tab", "tab", "tab", "tab", "space", "f5"),
                      shows="138****8000")
CASES_LIST = Scene("cases", _cases, keys=("ctrl+o",), shows="receipt_unpaid-102")
CASE = Scene("case", _cases, keys=("ctrl+o", "enter"), shows="138****8000")
END_OF_DAY = Scene("end-of-day", _day_of_trade, keys=("ctrl+e", "f5"),  # settled over the counter's link
                   shows={"zh-CN": "结算成功，对账平", "en": "Settled, in balance"})
SCENES = (COUNTER, NETWORK_DROP, CONTACT_FORM, CONTACT_REFUSED, CONTACT_SAVED, CASES_LIST, CASE,
          END_OF_DAY)


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
        self.cases = CaseStore(rig.journal, rig.clock, CASES)
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
        counter reported. The cursor is drawn still, and no passing notice is left on top (of this screen or of
        one under a form): it would be there or gone by the wall clock."""
        await pilot.pause()
        self.clear_notifications()
        await pilot.pause()
        for key in self.scene.keys:
            if isinstance(key, Typed):
                await burst(pilot, key.text, *key.then)
            else:
                await pilot.press(key)
        await self.rig.settle()
        for _ in range(3):
            await pilot.pause()
        for field in self.screen.query(Input):  # a blinking cursor is on or off by the wall clock
            field.cursor_blink = False
        self.clear_notifications()
        await pilot.pause()
        shows = self.scene.shows if isinstance(self.scene.shows, str) else self.scene.shows[self.language]
        screen = "\n".join(screen_lines(self))
        assert shows in screen, f"scene {self.scene.name}: {shows!r} not in\n{screen}"


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
