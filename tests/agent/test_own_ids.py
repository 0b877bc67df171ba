"""A terminal's own merchant and terminal ids are not card numbers, wherever the card-data doors look.

China's acquirers issue 15-digit numeric merchant ids (商户号, field 42), and one in ten passes Luhn. Every
request the terminal journals carries its merchant id, so a guard that took it for a card would refuse
every sale of that shop. The doors let through exactly the configured ids, and nothing else.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.config import ConfigError, HostSettings, load
from agent.journal import CardDataRefused, Journal
from agent.journal.guard import check_payload
from agent.reconcile.settings import ReconcileSettings
from agent.reconcile.settlement_file import Malformed, SettlementFile
from bench.privacy import scan_card_numbers
from bench.scan import scan_data_dir
from domain.card import luhn_valid, mask_pan
from simulator.cardreader.wallet import WALLET
from tests.agent.rig import run

MERCHANT = "898310048990004"  # numeric, 15 digits, and Luhn-valid
TERMINAL = "12345674"
assert luhn_valid(MERCHANT)
HOST = dataclasses.replace(HostSettings(), terminal_id=TERMINAL, merchant_id=MERCHANT)
OWN = HOST.own_ids
PANS = sorted({card.pan for card in WALLET.values() if luhn_valid(card.pan)})


def with_check_digit(body: str) -> str:
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


def test_a_sale_at_a_merchant_whose_id_passes_luhn_is_journaled_authorized_and_printed(tmp_path):
    async def scenario(rig):
        sale = rig.sale("58.00")
        await rig.until(lambda: rig.printer.receipts, jump=True)
        assert rig.prompt_of(sale) == "sale.approved"
        [request] = rig.requests(sale)
        assert (request["41"], request["42"]) == (TERMINAL, MERCHANT)  # journaled before the wire, in clear
        assert "print_refused" not in rig.kinds(sale)
        [paper] = rig.printer.receipts
        assert MERCHANT in paper.text and TERMINAL in paper.text
        assert rig.audit() == {sale: 5800}

    run(tmp_path, scenario, settings=HOST, printer=True)


def test_a_reversal_queued_for_that_merchant_keeps_its_id_and_is_acknowledged(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sale = rig.sale("30.00")
        await rig.until(lambda: rig.events("reversal_acknowledged", sale), jump=True)
        [queued] = rig.events("reversal_queued", sale)
        assert queued.payload["original"]["42"] == MERCHANT
        assert rig.net() == 0

    run(tmp_path, scenario, settings=HOST)


def test_a_journal_opened_without_the_ids_still_refuses_that_merchant_id(tmp_path):
    with Journal.open(tmp_path / "j.sqlite") as journal, pytest.raises(CardDataRefused, match=r"898310\*+0004"):
        journal.append("host_request", {"request": {"42": MERCHANT}})


@settings(max_examples=200, deadline=None)
@given(body=st.text("0123456789", min_size=14, max_size=14), pan=st.sampled_from(PANS),
       field=st.sampled_from(["2", "41", "42", "note"]))
def test_any_luhn_valid_merchant_id_passes_and_a_wallet_pan_is_refused_in_any_field(body, pan, field):
    merchant = with_check_digit(body)
    own = frozenset({TERMINAL, merchant})
    request = {"t": "0200", "11": "000001", "41": TERMINAL, "42": merchant}
    check_payload("host_request", {"request": request}, own_ids=own)
    with pytest.raises(CardDataRefused):
        check_payload("host_request", {"request": request | {field: pan}}, own_ids=own)


@settings(max_examples=200, deadline=None)
@given(body=st.text("0123456789", min_size=14, max_size=14), before=st.text("0123456789", max_size=4),
       after=st.text("0123456789", max_size=4))
def test_a_card_number_that_merely_contains_the_merchant_id_is_still_refused(body, before, after):
    merchant = with_check_digit(body)
    digits = before + merchant + after
    if not (before or after) or not 13 <= len(digits) <= 19 or digits[0] == "0" or not luhn_valid(digits):
        return
    with pytest.raises(CardDataRefused):
        check_payload("host_request", {"request": {"42": digits}}, own_ids=frozenset({merchant}))


def test_a_pan_in_field_42_is_refused_even_where_the_merchant_id_is_known():
    with pytest.raises(CardDataRefused, match=r"field 'request\.42'"):
        check_payload("host_request", {"request": {"42": WALLET["amex"].pan}}, own_ids=OWN)


def test_config_names_the_ids_and_still_explains_a_malformed_one(tmp_path):
    path = tmp_path / "recoup.toml"
    path.write_text(f'[host]\nterminal_id = "{TERMINAL}"\nmerchant_id = "{MERCHANT}"\n', encoding="utf-8")
    assert load(path).host.own_ids == {TERMINAL, MERCHANT}
    path.write_text('[host]\nmerchant_id = "8983100489900"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"recoup.toml:2: host.merchant_id: must be 15 printable ASCII characters"):
        load(path)


def test_the_settlement_file_reader_passes_over_a_merchant_id_column_that_passes_luhn(tmp_path: Path):
    path = tmp_path / "day.csv"
    path.write_text("date,terminal_id,merchant_id,stan,rrn,masked_pan,amount,currency,auth_code,settlement_date\n"
                    f"2026-01-05,{TERMINAL},{MERCHANT},000001,000000000001,411111******1111,58.00,CNY,A1,2026-01-06\n",
                    encoding="utf-8")
    [line] = list(SettlementFile(path, ReconcileSettings(), "CNY").read())
    assert not isinstance(line, Malformed) and line.terminal_id == TERMINAL


def test_the_privacy_scan_reports_that_merchant_id_only_when_not_told_it_is_the_terminals_own(tmp_path):
    text = f"MID {MERCHANT} TID {TERMINAL} card 4{MERCHANT}02"  # the last is a card that contains the id
    found = [f.needle for f in scan_card_numbers([("paper", text)])]
    assert found == [f"Luhn-valid digit run {mask_pan(MERCHANT)}", f"Luhn-valid digit run {mask_pan(f'4{MERCHANT}02')}"]
    assert [f.needle for f in scan_card_numbers([("paper", text)], own_ids=OWN)] == found[1:]
    (tmp_path / "receipt.txt").write_text(f"商户编号 MERCHANT NO {MERCHANT}\n", encoding="utf-8")
    assert not scan_data_dir(tmp_path)["clean"]
    assert scan_data_dir(tmp_path, own_ids=OWN)["findings_count"] == 0
