"""The settlement file reconciliation reads: columns, what is in it, and the damage tests inject."""

import csv

from simulator.host.settlement import COLUMNS

from .terminal import MID, TID, Terminal, refund, reversal, run, sale, settlement, void


def read(path):
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == COLUMNS
        return list(reader)


async def day_of_trade(acquirer):
    """Sales 1–3 approved, 4 declined, 5 reversed, 6 voided by 7, a refund 8 against sale 1."""
    terminal = await Terminal.connect(acquirer.url)
    rrns = {stan: (await terminal.request(sale(stan, 1000 * stan, "mastercard" if stan == 2 else "visa")))["37"]
            for stan in (1, 2, 3)}
    await terminal.request(sale(4, 1051))
    await terminal.request(sale(5, 5000))
    await terminal.request(reversal(sale(5, 5000)))
    rrns[6] = (await terminal.request(sale(6, 6000)))["37"]
    await terminal.request(void(7, rrns[6], 6000))
    await terminal.request(refund(8, 250, rrn=rrns[1]))
    await terminal.close()
    return rrns


def test_the_file_lists_every_settled_money_movement_and_nothing_else(tmp_path):
    async def scenario(acquirer, clock):
        rrns = await day_of_trade(acquirer)
        entries = acquirer.settle(tmp_path / "settlement.csv")
        return rrns, entries

    rrns, entries = run(scenario)
    lines = read(tmp_path / "settlement.csv")
    assert [line["stan"] for line in lines] == ["000001", "000002", "000003", "000008"]
    assert [line["amount"] for line in lines] == ["10.00", "20.00", "30.00", "-2.50"]
    first = lines[0]
    assert first == {"date": "2026-01-05", "terminal_id": TID, "merchant_id": MID, "stan": "000001",
                     "rrn": rrns[1], "masked_pan": "411111******1111", "amount": "10.00", "currency": "CNY",
                     "auth_code": first["auth_code"], "settlement_date": "2026-01-05"}
    assert len(first["auth_code"]) == 6
    assert lines[1]["masked_pan"] == "555555******4444"
    assert [entry.stan for entry in entries] == [1, 2, 3, 8]
    assert all(entry.settled for entry in entries)


def test_injected_omissions_duplicates_and_amounts_change_the_file_not_the_ledger(tmp_path):
    async def scenario(acquirer, clock):
        await day_of_trade(acquirer)
        acquirer.settlement_faults.omit.add(2)
        acquirer.settlement_faults.duplicate.add(3)
        acquirer.settlement_faults.amounts[1] = 999
        entries = acquirer.settle(tmp_path / "day1.csv")
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(9, 900))
        await terminal.close()
        acquirer.settle(tmp_path / "day2.csv")
        return entries, acquirer.ledger.net_charge("mastercard")

    entries, mastercard = run(scenario)
    day1 = read(tmp_path / "day1.csv")
    assert [(line["stan"], line["amount"]) for line in day1] == [
        ("000001", "9.99"), ("000003", "30.00"), ("000003", "30.00"), ("000008", "-2.50")]
    assert 2 in [entry.stan for entry in entries] and mastercard == 2000  # the bank did settle it
    assert [line["stan"] for line in read(tmp_path / "day2.csv")] == ["000009"]  # damage is used up


def test_an_extra_line_is_a_sale_of_the_terminal_it_never_sent(tmp_path):
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 1000))
        await terminal.close()
        assert await acquirer.control("settlement extra 77 12.34") == \
            "ok: next settlement file: extra {77: 1234}"
        clock.advance(86400)
        acquirer.settle(tmp_path / "day.csv")

    run(scenario)
    extra = read(tmp_path / "day.csv")[-1]
    assert extra == {"date": "2026-01-06", "terminal_id": TID, "merchant_id": MID, "stan": "000077",
                     "rrn": "X00000000077", "masked_pan": "", "amount": "12.34", "currency": "CNY", "auth_code": "",
                     "settlement_date": "2026-01-06"}


def test_batches_closed_by_the_terminal_are_in_the_next_file(tmp_path):
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 1000))
        assert (await terminal.request(settlement(2, debits=(1, 1000))))["39"] == "00"
        await terminal.request(sale(3, 700))
        await terminal.close()
        acquirer.settle(tmp_path / "day.csv")

    run(scenario)
    assert [line["stan"] for line in read(tmp_path / "day.csv")] == ["000001", "000003"]


def test_settling_without_a_file_still_closes_the_batches(tmp_path):
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 1000))
        await terminal.close()
        assert [entry.stan for entry in acquirer.settle()] == [1]
        acquirer.settle(tmp_path / "empty.csv")
        return acquirer.ledger.entry(TID, 1).settled

    assert run(scenario)
    assert read(tmp_path / "empty.csv") == []
