"""Reconciliation end to end: sales at a real counter against the virtual acquirer over loopback TCP, the
acquirer's own settlement file (damaged on request), and the unsettled cases that follow — on a virtual clock."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import timedelta
from pathlib import Path

from agent.cases import CaseSettings, CaseStore
from agent.cases.projection import OPENED
from agent.outbox import Outbox
from agent.reconcile.importer import import_file
from agent.reconcile.projection import LINES
from agent.reconcile.projection import OPENED as FILE_OPENED
from agent.reconcile.report import Report
from agent.reconcile.run import Reconciliation
from agent.reconcile.settings import ReconcileSettings
from agent.reconcile.settlement_file import sha256_of
from domain.card import MaskedPan, card_numbers
from domain.effects import OpenCase
from domain.events import record
from domain.money import Money
from simulator.host.settlement import COLUMNS
from tests.agent.rig import Rig

DAY = 86400.0
SHANGHAI = CaseSettings(timezone="Asia/Shanghai")


def reconcile(rig: Rig, path: Path | None = None, *, settings: ReconcileSettings | None = None,
              out: io.StringIO | None = None) -> Report:
    report = Report()
    if out is not None:
        report.start_csv(out)
    Reconciliation(rig.journal, settings or ReconcileSettings(), CaseStore(rig.journal, rig.clock, SHANGHAI),
                   Outbox(rig.journal, "示例便利店 · 021-5555 0000"), rig.settings.terminal_id, "CNY").run(report, path)
    report.finish_csv(None)
    return report


async def sell(rig: Rig, *amounts: str) -> dict[str, int]:
    """Approved (or declined) sales at the counter, one after another; sale id → its STAN."""
    stans = {}
    for amount in amounts:
        sale = rig.sale(amount)
        await rig.until(lambda s=sale: rig.flow(s) is None or rig.flow(s).name != "sale", jump=True)
        stans[sale] = int(rig.requests(sale)[-1]["11"])
    return stans


async def later(rig: Rig, seconds: float) -> None:
    """Days pass at once: the idle echo finds the link dead on the way, and it comes back before trade goes on."""
    rig.clock.advance(seconds)
    await rig.settle()
    await rig.until(lambda: rig.host.up and rig.counter.screen.card_payments_paused is None, jump=True)


def scenario(tmp_path: Path, body) -> None:
    async def main():
        rig = Rig(tmp_path / "journal.sqlite")
        await rig.start()
        try:
            await body(rig, tmp_path)
        finally:
            await rig.stop()
            await rig.acquirer.close()

    asyncio.run(main())


def statuses(report: Report) -> dict[str, int]:
    return {status: count for status, count in report.counts.items() if count}


def findings(report: Report, status: str) -> list:
    return [finding for finding, _ in report.shown[status]]


def lines_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, lines: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(lines)
    return path


def test_each_injected_fault_is_found_with_its_reason_and_nothing_else(tmp_path):
    async def body(rig: Rig, folder: Path):
        stans = await sell(rig, "58.00", "12.00", "30.00", "7.50", "10.51", "20.00")
        sale = dict(zip(("a", "b", "c", "d", "declined", "f"), stans, strict=True))
        faults = rig.acquirer.settlement_faults
        faults.omit.add(stans[sale["b"]])
        faults.duplicate.add(stans[sale["c"]])
        faults.amounts[stans[sale["d"]]] = 749
        faults.extra[77] = 1234
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        report = reconcile(rig, folder / "day1.csv")
        assert statuses(report) == {"settled": 3, "missing": 1, "duplicate": 1, "amount_differs": 1, "unknown": 1}
        assert report.amounts[("missing", "CNY")] == 1200
        (missing,) = findings(report, "missing")
        assert (missing.sale_id, missing.stan, missing.masked) == (sale["b"], f"{stans[sale['b']]:06d}",
                                                                   "411111******1111")
        assert findings(report, "amount_differs")[0].detail == "the terminal's sale was CNY 7.50"
        assert findings(report, "duplicate")[0].detail == "the acquirer already settled it: line 3 of day1.csv"
        assert findings(report, "unknown")[0].detail == ("no sale of this terminal has RRN X00000000077 or "
                                                         "STAN 000077 on 2026-01-06")
        assert report.differences == 4 and report.cases_opened == 1

    scenario(tmp_path, body)


def test_a_missing_sale_becomes_one_unsettled_case_with_its_facts_and_the_customer_is_asked(tmp_path):
    async def body(rig: Rig, folder: Path):
        stans = await sell(rig, "58.00", "23.80")
        missing = list(stans)[1]
        # The customer left details at the counter for that sale (a printer fault: an e-receipt).
        contact = "contact-1"
        rig.journal.append(OPENED, record(OpenCase("printer_fault-9", "printer_fault", (missing,), Money(2380),
                                                   MaskedPan.parse("411111******1111"), contact))[1])
        rig.acquirer.settlement_faults.omit.add(stans[missing])
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        first = reconcile(rig, folder / "day1.csv")
        again = reconcile(rig, folder / "day1.csv")
        assert first.cases_opened == 1 and again.cases_opened == 0
        assert first.shown["missing"][0][1] == f"unsettled-{missing} (opened)"
        assert again.shown["missing"][0][1] == f"unsettled-{missing} (open)"
        assert again.file.already and again.counts == first.counts
        case = CaseStore(rig.journal, rig.clock).get(f"unsettled-{missing}")
        assert (case.case_type, case.state, case.sale_ids, case.amount, case.masked, case.contact_id) == \
            ("unsettled", "open", (missing,), Money(2380), "411111******1111", "contact-1")
        (fact,) = rig.events("settlement_missing")
        assert fact.payload | {"approved_at": None} == {
            "case_id": f"unsettled-{missing}", "sale_id": missing, "terminal_id": "TERM0001",
            "stan": f"{stans[missing]:06d}", "rrn": fact.payload["rrn"], "amount": {"minor": 2380, "currency": "CNY"},
            "approved_at": None, "auth_code": fact.payload["auth_code"], "sold_on": "2026-01-05",
            "expected": "2026-01-06", "as_of": "2026-01-06"}
        (draft,) = rig.events("notification_drafted", f"unsettled-{missing}")
        assert draft.payload["template"] == "unsettled.ask_customer" and draft.payload["contact_id"] == "contact-1"
        assert "CNY 23.80" in draft.payload["text"]["zh-CN"] and "411111******1111" in draft.payload["text"]["en"]
        assert "4111111111111111" not in str(draft.payload)

    scenario(tmp_path, body)


def test_a_sale_that_turns_up_later_closes_its_case_as_settled_late(tmp_path):
    async def body(rig: Rig, folder: Path):
        stans = await sell(rig, "58.00", "12.00")
        late = list(stans)[1]
        rig.acquirer.settlement_faults.omit.add(stans[late])
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        assert reconcile(rig, folder / "day1.csv").cases_opened == 1
        # Two days later the acquirer pays it: its line in the next file, dated then.
        line = lines_of(folder / "day1.csv")[0] | {"stan": f"{stans[late]:06d}", "amount": "12.00",
                                                   "rrn": rig.acquirer.ledger.entry("TERM0001", stans[late]).rrn,
                                                   "settlement_date": "2026-01-08"}
        rig.clock.advance(2 * DAY)
        report = reconcile(rig, write(folder / "day3.csv", [line]))
        assert statuses(report) == {"settled_late": 1} and report.cases_closed == 1
        (finding, said), = report.shown["settled_late"]
        assert (finding.sale_id, str(finding.expected), str(finding.settled_on)) == (late, "2026-01-06",
                                                                                      "2026-01-08")
        assert said == f"case unsettled-{late} closed: settled late"
        case = CaseStore(rig.journal, rig.clock).get(f"unsettled-{late}")
        assert (case.state, case.resolution, case.closed_by) == ("closed", "settled_late", "reconcile")
        assert case.close_note == "paid late: line 2 of day3.csv, settlement date 2026-01-08, due 2026-01-06"
        again = reconcile(rig, folder / "day3.csv")
        assert again.cases_closed == 0 and statuses(again) == {"settled_late": 1}

    scenario(tmp_path, body)


def test_a_sale_is_not_missing_before_its_business_day_comes(tmp_path):
    async def body(rig: Rig, folder: Path):
        await later(rig, 4 * DAY)  # Friday
        stans = await sell(rig, "58.00", "12.00")
        friday = list(stans)[1]
        rig.acquirer.settlement_faults.omit.add(stans[friday])
        rig.clock.advance(DAY)  # Saturday: the acquirer's file of the day, T+1 is Monday
        rig.acquirer.settle(folder / "saturday.csv")
        saturday = reconcile(rig, folder / "saturday.csv")
        assert statuses(saturday) == {"settled": 1, "not_yet_due": 1} and saturday.cases_opened == 0
        rig.clock.advance(2 * DAY)  # Monday, and still not in the file
        rig.acquirer.settle(folder / "monday.csv")
        monday = reconcile(rig, folder / "monday.csv")
        assert statuses(monday) == {"missing": 1} and monday.cases_opened == 1
        assert str(findings(monday, "missing")[0].expected) == "2026-01-12"
        holiday = ReconcileSettings(holidays=["2026-01-12"])
        assert statuses(reconcile(rig, settings=holiday)) == {"not_yet_due": 1}

    scenario(tmp_path, body)


def test_a_sale_whose_reversal_came_too_late_is_owed_to_the_merchant(tmp_path):
    """The acquirer closed the day before the reversal reached it and refused it (12): the charge stands, so
    the sale is expected in the settlement like any approved one."""
    async def body(rig: Rig, folder: Path):
        await sell(rig, "58.00")
        rig.acquirer.drop_after_request()
        rig.sale("20.00")
        await rig.until(lambda: rig.host.saf.pending() != [], jump=True)
        rig.clock.advance(0.1)  # the acquirer closes the day before the reversal reaches it
        rig.acquirer.settle(folder / "day1.csv")
        await rig.until(lambda: not rig.host.saf.pending(), jump=True)
        assert rig.journal.query("SELECT COUNT(*) FROM events WHERE kind = 'reversal_refused'") == [(1,)]
        assert rig.acquirer.ledger.net_charge("visa") == 7800  # the customer was charged
        report = reconcile(rig, folder / "day1.csv")
        assert statuses(report) == {"settled": 2}

    scenario(tmp_path, body)


def test_overdue_cases_are_listed_and_escalated_once_lines_of_other_terminals_are_left_alone(tmp_path):
    async def body(rig: Rig, folder: Path):
        stans = await sell(rig, "58.00")
        rig.acquirer.settlement_faults.omit.add(next(iter(stans.values())))
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        assert reconcile(rig, folder / "day1.csv").overdue == []
        rig.clock.advance(3 * 3600)  # the first follow-up (2 hours) has passed with no call
        other = write(folder / "other.csv", [{"date": "2026-01-06", "terminal_id": "T9999999", "stan": "000001",
                                              "rrn": "600600000001", "amount": "5.00", "currency": "CNY",
                                              "settlement_date": "2026-01-06", "merchant_id": "", "masked_pan": "",
                                              "auth_code": ""}])
        report = reconcile(rig, other)
        assert statuses(report) == {"other_terminal": 1, "missing": 1}
        (row,) = report.overdue
        case = CaseStore(rig.journal, rig.clock).get(row.case_id)
        assert [e.reason for e in case.escalations] == ["unsettled sale: follow-up overdue since 2026-01-06 12:00"]
        assert "OVERDUE" in report.text(None) and row.case_id in report.text(None)
        reconcile(rig)
        assert len(CaseStore(rig.journal, rig.clock).get(row.case_id).escalations) == 1

    scenario(tmp_path, body)


def test_the_csv_report_lists_every_difference_and_the_totals(tmp_path):
    async def body(rig: Rig, folder: Path):
        stans = await sell(rig, "58.00", "12.00")
        rig.acquirer.settlement_faults.omit.add(list(stans.values())[1])
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        with (folder / "day1.csv").open("a", encoding="utf-8") as handle:
            handle.write("not,a,line\n")
        out = io.StringIO()
        reconcile(rig, folder / "day1.csv", out=out)
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        by_section = [(row["section"], row["status"]) for row in rows]
        assert by_section[:2] == [("file", "malformed"), ("sale", "missing")]
        assert rows[0]["line"] == "3" and rows[0]["detail"] == "has 3 cells, the header has 10"
        assert rows[1]["amount"] == "12.00" and rows[1]["case"].startswith("unsettled-sale-2")
        totals = {row["status"]: (row["count"], row["amount"]) for row in rows if row["section"] == "total"}
        assert totals["settled"] == ("1", "58.00") and totals["missing"] == ("1", "12.00")
        assert totals["duplicate"] == ("0", "")

    scenario(tmp_path, body)


def test_an_import_cut_short_is_replaced_when_the_file_is_read_again(tmp_path):
    async def body(rig: Rig, folder: Path):
        await sell(rig, "58.00")
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        cut = rig.journal.append(FILE_OPENED, {"sha256": sha256_of(folder / "day1.csv"), "name": "day1.csv"}).seq
        rig.journal.append(LINES, {"import_id": cut, "lines": ["2|TERM0001|000002|600502215040|2026-01-05|5800|CNY|"
                                                               "411111******1111|ROVGRQ|2026-01-06"], "malformed": []})
        imported = import_file(rig.journal, folder / "day1.csv", ReconcileSettings(), "CNY", settlement_date=None,
                               today=rig.clock.now().date())
        assert not imported.already and imported.lines == 1
        assert rig.journal.query("SELECT import_id, COUNT(*) FROM settlement_lines GROUP BY import_id") == \
            [(imported.import_id, 1)]
        report = reconcile(rig, folder / "day1.csv")  # the partial line is gone: no duplicate of it
        assert statuses(report) == {"settled": 1} and report.file.already

    scenario(tmp_path, body)


def test_a_rebuild_of_the_projections_gives_the_same_findings(tmp_path):
    async def body(rig: Rig, folder: Path):
        first, _, third = (await sell(rig, "58.00", "12.00", "30.00")).values()
        rig.acquirer.settlement_faults.omit.add(first)
        rig.acquirer.settlement_faults.duplicate.add(third)
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        before = reconcile(rig, folder / "day1.csv")
        rig.journal.rebuild_projections()
        after = reconcile(rig, folder / "day1.csv")
        assert after.counts == before.counts and after.file.already

    scenario(tmp_path, body)


def test_sales_before_the_first_file_are_not_judged(tmp_path):
    async def body(rig: Rig, folder: Path):
        await sell(rig, "58.00")
        rig.acquirer.settle()  # that day's file was never read
        await later(rig, timedelta(days=3).total_seconds())
        await sell(rig, "12.00")
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "later.csv")
        assert statuses(reconcile(rig, folder / "later.csv")) == {"settled": 1}

    scenario(tmp_path, body)


def test_a_file_whose_fingerprint_or_name_has_a_card_length_run_of_digits_is_still_read(tmp_path):
    """Found by the property test: one SHA-256 in a hundred holds a Luhn-valid run of 13+ digits, which the
    journal refuses as a card number. The fingerprint is kept in groups of eight; a name is masked."""
    async def body(rig: Rig, folder: Path):
        await sell(rig, "58.00")
        rig.clock.advance(DAY)
        rig.acquirer.settle(folder / "day1.csv")
        text = (folder / "day1.csv").read_text(encoding="utf-8")
        blank = next(count for count in range(5000)
                     if card_numbers(hashlib.sha256((text + "\n" * count).encode()).hexdigest()))
        odd = folder / "对账-4111111111111111.csv"
        odd.write_text(text + "\n" * blank, encoding="utf-8")
        report = reconcile(rig, odd)
        assert statuses(report) == {"settled": 1} and report.file.blank == blank
        assert report.file.name == "对账-411111******1111.csv"

    scenario(tmp_path, body)
