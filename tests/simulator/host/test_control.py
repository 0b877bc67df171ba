"""The text control interface: what people, replays and `recoup devices` type, and the errors they get."""

import csv

import pytest

from simulator.host.faults import FaultKind
from simulator.host.ledger import card_key

from .terminal import TID, Terminal, echo, run, sale


def control(*lines, **options):
    """Run control lines against a fresh acquirer; returns the answers and the acquirer's state."""
    async def scenario(acquirer, clock):
        return [await acquirer.control(line) for line in lines], acquirer

    return run(scenario, **options)


@pytest.mark.parametrize(("line", "kind", "times", "echoes", "seconds"), [
    ("fault drop", FaultKind.DROP, 1, False, 0),
    ("fault drop 3", FaultKind.DROP, 3, False, 0),
    ("fault drop always echo", FaultKind.DROP, None, True, 0),
    ("fault blackhole", FaultKind.BLACK_HOLE, 1, True, 0),
    ("fault blackhole always", FaultKind.BLACK_HOLE, None, True, 0),
    ("fault delay 1500", FaultKind.DELAY, 1, False, 1.5),
    ("FAULT Delay 250 2 echo", FaultKind.DELAY, 2, True, 0.25),
    ("fault reset", FaultKind.RESET, 1, False, 0),
    ("fault duplicate 2", FaultKind.DUPLICATE, 2, False, 0),
    ("fault late 35", FaultKind.LATE, 1, False, 35),
    ("fault late 0.5 always", FaultKind.LATE, None, False, 0.5),
    ("fault contradict", FaultKind.CONTRADICT, 1, False, 0),
])
def test_fault_commands_set_the_fault(line, kind, times, echoes, seconds):
    (answer,), acquirer = control(line)
    fault = acquirer.faults.current
    assert answer.startswith("ok: ")
    assert (fault.kind, fault.times, fault.echoes, fault.seconds) == (kind, times, echoes, seconds)


def test_garbage_takes_a_size_and_raw_or_framed_in_any_order():
    (raw, framed), acquirer = control("fault garbage 16 raw 2", "fault garbage 4 always framed")
    assert raw == "ok: answer with 16 raw garbage bytes, next 2 request(s)"
    assert framed == "ok: answer with 4 framed garbage bytes, until cleared"
    fault = acquirer.faults.current
    assert (fault.size, fault.framed, fault.times) == (4, True, None)


@pytest.mark.parametrize(("line", "code", "times", "echoes"), [
    ("fault contradict", "96", 1, False),
    ("fault contradict 05", "05", 1, False),
    ("fault contradict 51 3", "51", 3, False),
    ("fault contradict always", "96", None, False),
    ("fault contradict echo 2", "96", 2, True),
    ("Fault Contradict 91 always echo", "91", None, True),
])
def test_contradict_takes_an_optional_code_before_its_options(line, code, times, echoes):
    (answer,), acquirer = control(line)
    fault = acquirer.faults.current
    assert (fault.kind, fault.code, fault.times, fault.echoes) == (FaultKind.CONTRADICT, code, times, echoes)
    assert answer.startswith(f"ok: approve, then take it back and answer again with {code}, ")


def test_fault_alone_shows_the_fault_and_clear_removes_it():
    answers, acquirer = control("fault", "fault late 35", "fault", "fault clear", "fault")
    assert answers == ["ok: no fault", "ok: hold the response for 35 s, next 1 request(s)",
                       "ok: hold the response for 35 s, next 1 request(s)", "ok: no fault", "ok: no fault"]
    assert acquirer.faults.current is None


def test_rule_commands_set_and_clear_overrides():
    answers, acquirer = control("rule card visa 51", "rule card 5555555555554444 05", "rule next 2 91",
                                "rule expiry on", "rule", "rule card visa clear")
    assert answers[0] == "ok: card 411111******1111 → 51"
    assert answers[1] == "ok: card 555555******4444 → 05"
    assert answers[4] == ("ok: cards 411111******1111 → 51, 555555******4444 → 05; next requests 2 → 91; "
                          "expiry on")
    rules = acquirer.rules
    assert rules.cards == {card_key("mastercard"): "05"}
    assert (rules.next_left, rules.next_code, rules.check_expiry) == (2, "91", True)
    answers, acquirer = control("rule card visa 51", "rule next 1 05", "rule expiry on", "rule clear")
    assert answers[-1] == "ok: no overrides, expiry not checked"
    assert not acquirer.rules.cards and not acquirer.rules.next_left and not acquirer.rules.check_expiry


def test_rules_set_by_control_decide_answers_on_the_wire():
    async def scenario(acquirer, clock):
        await acquirer.control("rule card visa 51")
        await acquirer.control("rule next 1 96")
        terminal = await Terminal.connect(acquirer.url)
        codes = [(await terminal.request(sale(stan, 1000, card)))["39"]
                 for stan, card in enumerate(("mastercard", "mastercard", "visa"), start=1)]
        await terminal.close()
        return codes

    assert run(scenario) == ["96", "00", "51"]


def test_link_down_and_up():
    async def scenario(acquirer, clock):
        down = await acquirer.control("link down")
        with pytest.raises(ConnectionRefusedError):
            await Terminal.connect(acquirer.url)
        up = await acquirer.control("link up")
        terminal = await Terminal.connect(acquirer.url)
        assert (await terminal.request(echo(1)))["39"] == "00"
        await terminal.close()
        return down, up

    down, up = run(scenario)
    assert down == "ok: link down, connections refused" and up == "ok: link up, connections accepted"


def test_ledger_and_settle_report_what_the_bank_holds(tmp_path):
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 1234))
        await terminal.request(sale(2, 1051, "amex"))
        await terminal.close()
        answers = [await acquirer.control(line) for line in (
            "ledger", "ledger visa", "ledger mastercard", "settlement omit 1", "settlement amount 2 1.00",
            "settlement duplicate 3", f"settle {tmp_path / 'day.csv'}", "settlement clear", "settle")]
        return answers

    answers = run(scenario)
    assert answers[0].startswith("ok:\n") and "stan 000001 sale 411111******1111 CNY 12.34 approved" in answers[0]
    assert "378282*****0005 CNY 10.51 declined 51" in answers[0]
    assert "net charge 411111******1111: CNY 12.34" in answers[0]
    assert "net charge 378282*****0005: CNY 0.00" in answers[0]
    assert "amex" not in answers[1] and answers[1].endswith("net charge 411111******1111: CNY 12.34")
    assert answers[2] == "ok:\n  no entries\n  net charge 555555******4444: CNY 0.00"
    assert answers[5] == "ok: next settlement file: omit [1], duplicate [3], amounts {2: 100}"
    assert answers[6] == f"ok: 1 entries settled, file {tmp_path / 'day.csv'}"
    with (tmp_path / "day.csv").open() as handle:
        assert list(csv.DictReader(handle)) == []  # the one settled sale (STAN 1) was omitted
    assert answers[7] == "ok: next settlement file undamaged"
    assert answers[8] == "ok: 0 entries settled"


def test_help_lists_every_command():
    (answer,), _ = control("help")
    for command in ("fault drop", "fault blackhole", "fault delay", "fault reset", "fault garbage",
                    "fault duplicate", "fault late", "fault contradict", "fault clear", "rule card", "rule next",
                    "rule expiry", "rule clear", "link down", "ledger", "settle", "settlement omit"):
        assert command in answer


@pytest.mark.parametrize(("line", "error"), [
    ("", "error: empty command; 'help' lists the commands"),
    ("fualt drop", "error: word 1 'fualt': expected a command: help, fault, rule, link, ledger, settle, settlement"),
    ("fault explode", "error: word 2 'explode': expected one of drop, blackhole, delay, reset, garbage, "
                      "duplicate, late, contradict, clear"),
    ("fault contradict 00", "error: word 3 '00': expected a refusal code, two digits other than 00 such as 96 "
                            "(give it before a count)"),
    ("fault contradict 3", "error: word 3 '3': expected a refusal code, two digits other than 00 such as 96 "
                           "(give it before a count)"),
    ("fault contradict 96 twice", "error: word 4 'twice': expected a count (a whole number from 1, or always) "
                                  "or echo"),
    ("fault delay", "error: missing word 3: expected the delay in milliseconds, a whole number such as 1500"),
    ("fault delay 1.5s", "error: word 3 '1.5s': expected the delay in milliseconds, a whole number such as 1500"),
    ("fault delay -5", "error: word 3 '-5': expected the delay in milliseconds, a whole number such as 1500"),
    ("fault late soon", "error: word 3 'soon': expected how many seconds to hold the response, such as 35"),
    ("fault late nan", "error: word 3 'nan': expected how many seconds to hold the response, such as 35"),
    ("fault drop 0", "error: word 3 '0': expected a count (a whole number from 1, or always) or echo"),
    ("fault drop twice", "error: word 3 'twice': expected a count (a whole number from 1, or always) or echo"),
    ("fault blackhole echo", "error: word 3 'echo': expected a count (a whole number from 1, or always)"),
    ("fault drop raw", "error: word 3 'raw': expected a count (a whole number from 1, or always) or echo"),
    ("fault garbage 0", "error: word 3 '0': expected how many bytes, a whole number from 1 such as 16"),
    ("fault garbage 16 cooked", "error: word 4 'cooked': expected a count (a whole number from 1, or always) "
                                "or echo or raw or framed"),
    ("fault clear now", "error: word 3 'now': unexpected, the command is complete without it"),
    ("rule card vissa 51", "error: word 3 'vissa': expected a card: a wallet key (visa, mastercard, unionpay, "
                           "unionpay_19, amex, visa_other, expired, bad_service, luhn_invalid) or a card number"),
    ("rule card visa", "error: missing word 4: expected a response code, two digits such as 51"),
    ("rule card visa 5", "error: word 4 '5': expected a response code, two digits such as 51"),
    ("rule next two 91", "error: word 3 'two': expected how many requests, a whole number such as 2"),
    ("rule next 2", "error: missing word 4: expected a response code, two digits such as 51"),
    ("rule expiry maybe", "error: word 3 'maybe': expected one of on, off"),
    ("rule forget", "error: word 2 'forget': expected one of card, next, expiry, clear"),
    ("link sideways", "error: word 2 'sideways': expected one of down, up"),
    ("link", "error: missing word 2: expected one of down, up"),
    ("ledger 1234", "error: word 2 '1234': expected a card: a wallet key (visa, mastercard, unionpay, "
                    "unionpay_19, amex, visa_other, expired, bad_service, luhn_invalid) or a card number"),
    ("ledger visa amex", "error: word 3 'amex': unexpected, the command is complete without it"),
    ("settlement omit", "error: missing word 3: expected a STAN, a whole number from 1 to 999999"),
    ("settlement omit 1000000", "error: word 3 '1000000': expected a STAN, a whole number from 1 to 999999"),
    ("settlement amount 5 1,00", "error: word 4 '1,00': expected the amount to write, such as 12.34"),
    ("settlement lose 5", "error: word 2 'lose': expected one of omit, duplicate, amount, extra, answer, clear"),
    ("settle /no/such/dir/day.csv", "error: word 2 '/no/such/dir/day.csv': expected a file path that can be "
                                    "written (No such file or directory)"),
    ("help me", "error: word 2 'me': unexpected, the command is complete without it"),
])
def test_errors_name_the_wrong_word_and_what_was_expected(line, error):
    (answer,), acquirer = control(line)
    assert answer == error
    assert acquirer.faults.current is None and not acquirer.rules.cards and not acquirer.rules.next_left


def test_a_bad_command_changes_nothing():
    answers, acquirer = control("settlement omit 5 6", "rule card visa 51 52", "fault late 35 2 3 x")
    assert all(answer.startswith("error: ") for answer in answers)
    assert not acquirer.settlement_faults.omit and not acquirer.rules.cards and acquirer.faults.current is None


def test_control_lines_are_logged_with_card_numbers_masked():
    _, acquirer = control("rule card 4111111111111111 05")
    assert any(line.endswith("control: rule card 411111******1111 05") for line in acquirer.log)
    assert not any("4111111111111111" in line for line in acquirer.log)


def test_the_terminal_id_shows_in_the_ledger_listing():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 100))
        await terminal.close()
        return await acquirer.control("ledger")

    assert f"  {TID} stan 000001" in run(scenario)


def test_a_settlement_file_that_cannot_be_written_leaves_the_batches_open(tmp_path):
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 100))
        await terminal.close()
        failed = await acquirer.control(f"settle {tmp_path / 'missing' / 'day.csv'}")
        still_open = acquirer.ledger.entry(TID, 1).batch is None
        done = await acquirer.control(f"settle {tmp_path / 'day.csv'}")
        return failed, still_open, done

    failed, still_open, done = run(scenario)
    assert failed.startswith("error: word 2") and "No such file or directory" in failed
    assert still_open and done.startswith("ok: 1 entries settled")


def test_commands_and_wallet_keys_ignore_case():
    (answer,), acquirer = control("RULE Card VISA 51")
    assert answer == "ok: card 411111******1111 → 51"
    assert acquirer.rules.cards == {card_key("visa"): "51"}
