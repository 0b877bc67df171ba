"""`recoup reconcile` as the manager runs it: the report on stdout, --csv, exit status, the config's column
mapping, and the errors that stop it."""

from __future__ import annotations

import asyncio
import csv
import re

import pytest

from agent import cli
from tests.agent.rig import Rig


@pytest.fixture
def day(tmp_path):
    """A journal with three sales and the acquirer's file for them, the second left out."""
    async def trade():
        rig = Rig(tmp_path / "journal.sqlite")
        await rig.start()
        try:
            stans = []
            for amount in ("58.00", "12.00", "30.00"):
                sale = rig.sale(amount)
                await rig.until(lambda s=sale: rig.flow(s) is None, jump=True)
                stans.append(int(rig.requests(sale)[-1]["11"]))
            rig.acquirer.settlement_faults.omit.add(stans[1])
            rig.clock.advance(86400)
            rig.acquirer.settle(tmp_path / "day1.csv")
        finally:
            await rig.stop()
            await rig.acquirer.close()

    asyncio.run(trade())
    return tmp_path


def config(folder, text: str = "") -> str:
    path = folder / "recoup.toml"
    path.write_text(f'[journal]\npath = "{folder / "journal.sqlite"}"\n{text}', encoding="utf-8")
    return str(path)


def test_the_report_the_csv_and_exit_status_1_for_a_missing_sale(day, capsys):
    status = cli.main(["--config", config(day), "reconcile", str(day / "day1.csv"), "--csv", str(day / "r.csv")])
    out = capsys.readouterr().out
    assert status == 1
    assert "settlement file day1.csv (settlement date 2026-01-06): read; 2 line(s), 0 malformed, 0 blank" in out
    assert re.search(r"missing \(未到账\) +1  CNY 12.00", out)
    assert "sale-2 TERM0001 STAN" in out and "due 2026-01-06 — unsettled-sale-2 (opened)" in out
    with (day / "r.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["section"], row["status"], row["amount"]) for row in rows if row["section"] != "total"] == [
        ("sale", "missing", "12.00")]


def test_a_clean_file_is_exit_status_0_and_a_second_run_reads_nothing_new(day, capsys):
    (day / "clean.csv").write_text("date,terminal_id,stan,amount,settlement_date\n", encoding="utf-8")
    assert cli.main(["--config", config(day), "reconcile"]) == 0
    assert capsys.readouterr().out.startswith("no settlement file has been read yet")
    assert cli.main(["--config", config(day), "reconcile", str(day / "day1.csv")]) == 1
    assert cli.main(["--config", config(day), "reconcile", str(day / "day1.csv")]) == 1
    assert "already read before: nothing new journaled" in capsys.readouterr().out


def test_the_acquirers_own_columns_through_the_config(day, capsys):
    with (day / "day1.csv").open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    chinese = day / "对账单.csv"
    with chinese.open("w", newline="", encoding="gbk") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["交易日期", "终端号", "凭证号", "参考号", "交易金额(分)", "清算日期"])
        for line in lines:
            writer.writerow([line["date"].replace("-", ""), line["terminal_id"], line["stan"], line["rrn"],
                             line["amount"].replace(".", ""), line["settlement_date"].replace("-", "")])
    mapping = """
[reconcile]
encoding = "gbk"
delimiter = ";"
date_format = "%Y%m%d"
amount_unit = "minor"

[reconcile.columns]
date = "交易日期"
terminal_id = "终端号"
stan = "凭证号"
rrn = "参考号"
amount = "交易金额(分)"
settlement_date = "清算日期"
"""
    assert cli.main(["--config", config(day, mapping), "reconcile", str(chinese)]) == 1
    out = capsys.readouterr().out
    assert "2 line(s), 0 malformed" in out and re.search(r"\nsettled +2  CNY 88.00", out)


def test_what_stops_it_is_said_on_stderr_with_status_2(day, capsys):
    assert cli.main(["--config", config(day), "reconcile", str(day / "nowhere.csv")]) == 2
    assert "nowhere.csv: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--config", config(day), "reconcile", "--date", "06/01/2026"])
    assert stopped.value.code == 2 and "'06/01/2026' is not a date; write YYYY-MM-DD" in capsys.readouterr().err


def test_a_file_without_the_columns_and_a_missing_journal(day, tmp_path, capsys):
    (day / "odd.csv").write_text("when,what\n2026-01-05,58.00\n", encoding="utf-8")
    assert cli.main(["--config", config(day), "reconcile", str(day / "odd.csv")]) == 2
    assert "line 1 has no column 'date'" in capsys.readouterr().err
    nowhere = tmp_path / "elsewhere"
    nowhere.mkdir()
    assert cli.main(["--config", config(nowhere), "reconcile"]) == 2
    assert "no journal at" in capsys.readouterr().err


def test_a_config_mistake_names_the_line_and_key(day, capsys):
    assert cli.main(["--config", config(day, "[reconcile]\nsettle_after_days = \"T+1\"\n"), "reconcile"]) == 2
    assert "recoup.toml:4: reconcile.settle_after_days: must be a whole number of business days" in \
        capsys.readouterr().err
