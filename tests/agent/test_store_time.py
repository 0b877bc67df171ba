"""Receipts, slips and customer messages say the time on the store's wall clock ([cases] timezone), not the
PC's: counter PCs are often left on UTC. The journal keeps UTC whatever the zone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from agent.config import load
from agent.outbox import render
from domain.effects import SaleFacts
from domain.money import Money
from tests.agent.rig import run

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
PAPER_TIME = "%Y-%m-%d %H:%M:%S"


def elsewhere() -> ZoneInfo:
    """A store zone whose clock differs from this PC's, so a time printed in the PC's zone shows up."""
    probe = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    return SHANGHAI if probe.astimezone().utcoffset() != probe.astimezone(SHANGHAI).utcoffset() \
        else ZoneInfo("America/New_York")


async def a_sale_printed(rig) -> dict:
    """A sale approved and printed, and its e-receipt drafted by the counter's outbox."""
    sale = rig.sale("58.00")
    await rig.until(lambda: rig.printer.receipts, jump=True)
    [event] = rig.receipts(sale)
    sent = datetime.fromisoformat(event.payload["document"]["time"])
    draft = rig.counter.outbox.draft("C-1", "e_receipt.sale", SaleFacts(sale, Money.parse("58.00"), sent_at=sent),
                                     None)
    stamps = [e.at for e in rig.journal.events(stream=sale)]
    return {"sent": sent.isoformat(), "paper": rig.printer.receipts[0].text, "draft": draft["en"],
            "journal_utc": all(at.utcoffset().total_seconds() == 0 for at in stamps)}


def test_the_paper_and_the_e_receipt_say_the_stores_time_and_the_journal_stays_utc(tmp_path):
    zone = elsewhere()
    seen = {}

    async def scenario(rig):
        seen.update(await a_sale_printed(rig))

    run(tmp_path, scenario, printer=True, zone=zone)
    sent = datetime.fromisoformat(seen["sent"])
    assert sent.astimezone(zone).strftime(PAPER_TIME) in seen["paper"]
    assert sent.astimezone().strftime(PAPER_TIME) not in seen["paper"]  # not the PC's
    assert f"on {sent.astimezone(zone):%Y-%m-%d %H:%M}" in seen["draft"]
    assert seen["journal_utc"]


def test_a_pc_on_utc_prints_the_time_of_a_store_in_shanghai(tmp_path):
    """The PC's zone set in a fresh process (TZ=UTC), the store's from the config file, as installed."""
    config = tmp_path / "recoup.toml"
    config.write_text('[cases]\ntimezone = "Asia/Shanghai"\n', encoding="utf-8")
    program = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from agent.config import load
        from tests.agent.rig import run
        from tests.agent.test_store_time import a_sale_printed
        seen = {{}}
        async def scenario(rig):
            seen.update(await a_sale_printed(rig))
        run(Path({str(tmp_path)!r}), scenario, printer=True, zone=load({str(config)!r}).cases.zone)
        json.dump(seen, sys.stdout)
    """)
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=os.environ | {"TZ": "UTC"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    sent = datetime.fromisoformat(seen["sent"])
    assert sent.astimezone(SHANGHAI).strftime(PAPER_TIME) in seen["paper"]  # 10:00 in Shanghai…
    assert sent.astimezone(UTC).strftime(PAPER_TIME) not in seen["paper"]  # …not 02:00, the PC's
    assert f"on {sent.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" in seen["draft"]


def test_without_a_zone_configured_the_pcs_own_zone_is_the_stores(tmp_path):
    config = tmp_path / "recoup.toml"
    config.write_text("[cases]\n", encoding="utf-8")
    assert load(config).cases.zone is None
    sent = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    text = render("e_receipt.sale", SaleFacts("S-1", Money.parse("1.00"), sent_at=sent), "shop")["en"]
    assert f"on {sent.astimezone():%Y-%m-%d %H:%M}" in text
    text = render("e_receipt.sale", SaleFacts("S-1", Money.parse("1.00"), sent_at=sent), "shop", SHANGHAI)["en"]
    assert "on 2026-01-05 10:00" in text


def test_a_request_carries_the_stores_local_time_and_date(tmp_path):
    """Fields 12 and 13 are the terminal's local time and date: the acquirer (and reconciliation, which takes a
    sale's day from field 13) reads them as the shop's, whatever zone the PC is set to."""
    zone = elsewhere()
    seen = {}

    async def scenario(rig):
        sale = rig.sale("58.00")
        await rig.until(lambda: rig.requests(sale), jump=True)
        seen["request"] = rig.requests(sale)[0]
        seen["at"] = next(e.at for e in rig.journal.events(stream=sale) if e.kind == "host_request")

    run(tmp_path, scenario, zone=zone)
    local = seen["at"].astimezone(zone)
    assert (seen["request"]["12"], seen["request"]["13"]) == (f"{local:%H%M%S}", f"{local:%m%d}")
