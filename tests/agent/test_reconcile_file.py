"""Reading the acquirer's settlement file: the documented columns, a column mapping, encodings, and every
line that cannot be read reported by its number and skipped — whatever bytes it holds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.reconcile.settings import ReconcileSettings, ReconcileSettingsError
from agent.reconcile.settlement_file import Malformed, SettlementFile, SettlementFileError, SettlementLine
from simulator.host.settlement import COLUMNS

HEADER = ",".join(COLUMNS)
GOOD = "2026-01-05,T0000001,M00000000000001,000012,600502215040,411111******1111,58.00,CNY,ROVGRQ,2026-01-06"


def read(tmp_path, text: str | bytes, settings: ReconcileSettings | None = None) -> list:
    path = tmp_path / "settlement.csv"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return list(SettlementFile(path, settings or ReconcileSettings(), "CNY").read())


def test_a_line_in_the_documented_columns(tmp_path):
    (line,) = read(tmp_path, f"{HEADER}\n{GOOD}\n")
    assert line == SettlementLine(2, "T0000001", "000012", "600502215040", date(2026, 1, 5), 5800, "CNY",
                                  "411111******1111", "ROVGRQ", date(2026, 1, 6))
    assert line.journal_text() == ("2|T0000001|000012|600502215040|2026-01-05|5800|CNY|411111******1111|ROVGRQ|"
                                   "2026-01-06")


def test_a_refund_is_negative_and_optional_columns_may_be_absent(tmp_path):
    (line,) = read(tmp_path, "terminal_id,stan,date,amount\nT0000001,7,2026-01-05,-12.5\n")
    assert (line.stan, line.amount, line.currency, line.rrn, line.settlement_date) == ("000007", -1250, "CNY", "",
                                                                                         None)


@pytest.mark.parametrize(("line", "reason"), [
    ("2026-01-05,T0000001,M1,000012,600502215040,4111,58.00,CNY", "has 8 cells, the header has 10"),
    (GOOD.replace("000012", "12a"), "stan '12a' is not a trace number (1 to 999999)"),
    (GOOD.replace("000012", "0"), "stan '0' is not a trace number"),
    (GOOD.replace("58.00", "58.001"), "amount '58.001' is not an amount such as 58.00 or -12.50 (CNY has 2"),
    (GOOD.replace("58.00", "5,8"), "has 11 cells"),
    (GOOD.replace("58.00", "0.00"), "amount is zero: no money moved"),
    (GOOD.replace("2026-01-05,T", "05/01/2026,T"), "date '05/01/2026' is not a date written %Y-%m-%d"),
    (GOOD.replace("CNY", "XYZ"), "currency 'XYZ' is not a currency recoup knows"),
    (GOOD.replace("T0000001", ""), "terminal_id is empty"),
    (GOOD.replace("600502215040", "6005022150401"), "rrn '600502***0401' is not a reference number"),
    (GOOD.replace("ROVGRQ", "RO|VGRQ"), "auth_code 'RO|VGRQ' has a control character, a '|'"),
    (GOOD.replace("411111******1111", "4111111111111111"), "masked_pan holds a full card number"),
    ('2026-01-05,"T0000001,M1', "a quote is left open"),
])
def test_a_line_that_cannot_be_read_is_reported_by_number_and_skipped(tmp_path, line, reason):
    lines = read(tmp_path, f"{HEADER}\n{GOOD}\n{line}\n{GOOD}\n")
    assert [type(item) for item in lines] == [SettlementLine, Malformed, SettlementLine]
    assert lines[1].line == 3 and lines[1].reason.startswith(reason), lines[1].reason
    assert [lines[0].line, lines[2].line] == [2, 4]
    assert "4111111111111111" not in lines[1].reason


def test_blank_lines_are_counted_and_a_bom_and_crlf_are_fine(tmp_path):
    path = tmp_path / "settlement.csv"
    path.write_bytes(f"\ufeff{HEADER}\r\n\r\n{GOOD}\r\n\r\n".encode())
    source = SettlementFile(path, ReconcileSettings(), "CNY")
    lines = list(source.read())
    assert [item.line for item in lines] == [3] and source.blank == 2


def test_bytes_that_are_not_the_files_encoding_spoil_only_their_line(tmp_path):
    lines = read(tmp_path, f"{HEADER}\n".encode() + b"2026-01-05,T0000001,\xff\xfe\n" + f"{GOOD}\n".encode())
    assert isinstance(lines[0], Malformed) and lines[0].reason == "not utf-8 text (byte 0xff at column 21)"
    assert lines[1].line == 3


def test_an_acquirers_own_columns_are_read_through_the_mapping(tmp_path):
    mapping = ReconcileSettings(columns={"date": "交易日期", "terminal_id": "终端号", "stan": "凭证号",
                                         "rrn": "参考号", "amount": "交易金额", "settlement_date": "清算日期"},
                                encoding="gbk", delimiter="\t", date_format="%Y%m%d", amount_unit="minor")
    text = ("交易日期\t终端号\t凭证号\t参考号\t交易金额\t清算日期\t商户名称\n"
            "20260105\tT0000001\t12\t600502215040\t5800\t20260106\t示例便利店\n")
    (line,) = read(tmp_path, text.encode("gbk"), mapping)
    assert (line.date, line.stan, line.rrn, line.amount, line.settlement_date) == \
        (date(2026, 1, 5), "000012", "600502215040", 5800, date(2026, 1, 6))
    bad = read(tmp_path, text.replace("5800", "58.00").encode("gbk"), mapping)[0]
    assert bad.reason == "amount ('交易金额') '58.00' is not a whole number of minor units"


def test_a_file_without_a_needed_column_is_refused_before_anything_is_read(tmp_path):
    with pytest.raises(SettlementFileError, match=r"line 1 has no column 'stan'; if the acquirer calls it "
                                                  r"otherwise, map it: \[reconcile.columns\] stan"):
        read(tmp_path, "date,terminal_id,amount\n2026-01-05,T0000001,1.00\n")
    with pytest.raises(SettlementFileError, match=r"no column '凭证号' \(reconcile.columns.stan\)"):
        read(tmp_path, f"{HEADER}\n", ReconcileSettings(columns={"stan": "凭证号"}))
    with pytest.raises(SettlementFileError, match="line 1 should be the header"):
        read(tmp_path, "")


@pytest.mark.parametrize(("values", "field", "reason"), [
    ({"settle_after_days": -1}, "settle_after_days", "must be a whole number of business days from 0 to 30"),
    ({"holidays": ["2026-13-01"]}, "holidays[0]", "'2026-13-01' is not a date"),
    ({"columns": {"pan": "卡号"}}, "columns.pan", "is not a field recoup reads"),
    ({"columns": {"rrn": "stan"}}, "columns.rrn", "header 'stan' is already read as stan"),
    ({"encoding": "utf-16"}, "encoding", "'utf-16' is not an encoding recoup reads"),
    ({"delimiter": ",,"}, "delimiter", "must be one character"),
    ({"date_format": "%Y-%m"}, "date_format", "'%Y-%m' does not read a whole date"),
    ({"amount_unit": "fen"}, "amount_unit", "must be major (58.00) or minor (5800)"),
])
def test_settings_are_checked_with_the_key_to_blame(values, field, reason):
    with pytest.raises(ReconcileSettingsError) as raised:
        ReconcileSettings(**values)
    assert raised.value.field == field and raised.value.reason.startswith(reason)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=80).filter(lambda line: b"\n" not in line and b"\r" not in line), max_size=8))
def test_any_bytes_on_a_line_give_a_line_or_a_reason_never_a_crash(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("fuzz") / "settlement.csv"
    path.write_bytes(f"{HEADER}\n".encode() + b"\n".join(lines) + b"\n")
    read_back = list(SettlementFile(path, ReconcileSettings(), "CNY").read())
    assert len(read_back) == sum(1 for line in lines if line.strip())
    for item in read_back:
        assert isinstance(item, SettlementLine | Malformed)
