"""Every fault over real loopback TCP, as a terminal meets it. Time is virtual: a 35 s late answer
costs nothing, and nothing here sleeps on the wall clock."""

import asyncio

import pytest

from drivers.errors import RemoteProtocolError
from drivers.host import codec
from simulator.host.faults import Fault, FaultKind

from .terminal import TID, Terminal, echo, inquiry, reversal, run, sale


def test_drop_after_request_charges_the_customer_and_the_terminal_hears_nothing_but_eof():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.drop_after_request()
        await terminal.send(sale(1, 1000))
        assert await terminal.closed_by_host()
        assert acquirer.ledger.net_charge("visa") == 1000  # the bank took the money
        assert acquirer.ledger.entry(TID, 1).status == "approved"
        again = await Terminal.connect(acquirer.url)  # one request only: the next connection is served
        assert (await again.request(reversal(sale(1, 1000))))["39"] == "00"
        assert acquirer.ledger.net_charge("visa") == 0
        await again.close()

    run(scenario)


def test_black_hole_reads_and_never_answers_echoes_included_and_keeps_the_connection():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.black_hole(times=None)
        await terminal.send(sale(1, 1000))
        await terminal.send(echo(2))
        await clock.run_for(600)
        assert acquirer.connections == 1
        assert acquirer.ledger.entries == []  # a hung host applied nothing
        acquirer.clear_faults()
        assert (await terminal.request(echo(3)))["11"] == "000003"  # the first answer on this connection
        assert sum("fault blackhole" in line for line in acquirer.log) == 2
        await terminal.close()

    run(scenario)


def test_delay_answers_after_the_delay_on_the_injected_clock():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.delay(1500)
        await terminal.send(sale(1, 1000))
        assert (await terminal.request(echo(2)))["t"] == "0810"  # overtakes the held sale answer
        assert acquirer.ledger.net_charge("visa") == 1000  # applied on arrival
        await clock.run_for(1.4)
        await terminal.send(echo(3))
        assert (await terminal.receive())["11"] == "000003"
        await clock.run_for(0.1)
        response = await terminal.receive()
        assert (response["t"], response["11"], response["39"]) == ("0210", "000001", "00")
        await terminal.close()

    run(scenario)


def test_reset_aborts_the_connection_before_applying_the_request():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.reset()
        await terminal.send(sale(1, 1000))
        with pytest.raises(ConnectionResetError):
            await terminal.receive()
        await terminal.close()
        assert acquirer.ledger.entries == []
        assert acquirer.ledger.net_charge("visa") == 0

    run(scenario)


def test_framed_garbage_arrives_as_an_undecodable_message_after_the_charge():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.garbage(24)
        await terminal.send(sale(1, 1000))
        message = await terminal.receive_frame()
        assert len(message) == 24
        with pytest.raises(RemoteProtocolError):
            codec.decode(message)
        assert acquirer.ledger.net_charge("visa") == 1000
        assert (await terminal.request(echo(2)))["39"] == "00"  # the stream is still in step
        await terminal.close()

    run(scenario)


def test_raw_garbage_breaks_the_terminals_framing():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.garbage(8, framed=False)
        await terminal.send(sale(1, 1000))
        with pytest.raises(RemoteProtocolError, match="out of step"):
            await terminal.receive_frame()
        await terminal.close()

    run(scenario)


def test_duplicate_response_sends_the_same_answer_twice_and_charges_once():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.duplicate_response()
        first = await terminal.request(sale(1, 1000))
        assert await terminal.receive() == first
        assert (await terminal.request(echo(2)))["t"] == "0810"  # and nothing more
        assert acquirer.ledger.net_charge("visa") == 1000
        await terminal.close()

    run(scenario)


def test_a_late_approval_after_the_reversal_does_not_undo_the_reversal():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.late_response(35)
        original = sale(1, 1000)
        await terminal.send(original)
        await clock.run_for(30)  # the terminal's response timeout passes in silence
        release = await terminal.request(reversal(original))
        assert (release["t"], release["39"]) == ("0410", "00")
        await clock.run_for(5)
        late = await terminal.receive()
        assert (late["t"], late["11"], late["39"]) == ("0210", "000001", "00")
        assert acquirer.ledger.net_charge("visa") == 0
        await terminal.close()

    run(scenario)


def test_a_late_answer_finds_the_terminal_on_its_new_connection():
    async def scenario(acquirer, clock):
        first = await Terminal.connect(acquirer.url)
        acquirer.late_response(35)
        await first.send(sale(1, 1000))
        await first.request(echo(2))  # the sale has been taken in
        await first.close()
        second = await Terminal.connect(acquirer.url)
        await second.request(echo(3))
        await clock.run_for(35)
        assert (await second.receive())["11"] == "000001"
        await second.close()

    run(scenario)


def test_a_late_answer_with_no_terminal_to_go_to_is_dropped_and_logged():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.late_response(35)
        await terminal.send(sale(1, 1000))
        await terminal.request(echo(2))
        await terminal.close()
        await clock.run_for(35)
        assert any("held response dropped" in line for line in acquirer.log)

    run(scenario)


def test_contradict_approves_then_takes_the_sale_back_and_answers_again_with_the_code():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.contradict()
        original = sale(1, 1000)
        first = await terminal.request(original)
        second = await terminal.receive()
        assert (first["t"], first["11"], first["39"]) == ("0210", "000001", "00") and "38" in first
        assert second == {key: value for key, value in first.items() if key != "38"} | {"39": "96"}
        entry = acquirer.ledger.entry(TID, 1)
        assert entry.status == "reversed" and acquirer.ledger.net_charge("visa") == 0
        taken_back = acquirer.ledger.history[-1]
        assert (taken_back.action, taken_back.stan) == ("reversed", 1)
        assert "the switch took back its approval and refused with 96" in taken_back.detail
        assert any("fault contradict: approval of STAN 000001 taken back (released)" in line
                   for line in acquirer.log)
        assert (await terminal.request(inquiry(original, 2)))["39"] == "25"  # the fault is spent
        await terminal.close()

    run(scenario)


def test_contradict_after_a_decline_takes_nothing_back():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.contradict("05")
        first = await terminal.request(sale(1, 1051))
        second = await terminal.receive()
        assert (first["39"], second["39"], second["11"]) == ("51", "05", "000001")
        assert acquirer.ledger.entry(TID, 1).status == "declined 51"
        assert [event.action for event in acquirer.ledger.history] == ["declined"]
        await terminal.close()

    run(scenario)


def test_contradict_on_any_other_request_only_answers_again():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        original = sale(1, 1000)
        await terminal.request(original)
        acquirer.contradict("91", times=2, echoes=True)
        release = await terminal.request(reversal(original))
        assert (release["t"], release["39"], (await terminal.receive())["39"]) == ("0410", "00", "91")
        assert acquirer.ledger.entry(TID, 1).status == "reversed"  # the reversal applied, as answered first
        alive = await terminal.request(echo(2))
        assert (alive["39"], (await terminal.receive())["39"]) == ("00", "91")
        assert [event.action for event in acquirer.ledger.history] == ["authorized", "reversed"]
        await terminal.close()

    run(scenario)


@pytest.mark.parametrize("code", ["00", "9", "960", "AB", "", "٩٦"])
def test_a_contradiction_refuses_with_two_digits_other_than_00(code):
    with pytest.raises(ValueError, match="two digits other than 00"):
        Fault(FaultKind.CONTRADICT, code=code)


def test_a_fault_for_n_requests_strikes_n_times_and_echoes_pass_unless_asked():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.duplicate_response(times=2)
        assert (await terminal.request(echo(1)))["11"] == "000001"
        for stan in (2, 3):
            assert await terminal.request(sale(stan, 1000)) == await terminal.receive()
        assert (await terminal.request(sale(4, 1000)))["11"] == "000004"
        assert (await terminal.request(echo(5)))["11"] == "000005"  # not doubled: the fault is spent
        acquirer.delay(1000, echoes=True)
        await terminal.send(echo(6))
        await clock.run_for(1)
        assert (await terminal.receive())["11"] == "000006"
        await terminal.close()

    run(scenario)


def test_a_fault_until_cleared_keeps_striking():
    async def scenario(acquirer, clock):
        acquirer.drop_after_request(times=None)
        for stan in (1, 2, 3):
            terminal = await Terminal.connect(acquirer.url)
            await terminal.send(sale(stan, 1000))
            assert await terminal.closed_by_host()
        acquirer.clear_faults()
        terminal = await Terminal.connect(acquirer.url)
        assert (await terminal.request(sale(4, 1000)))["39"] == "00"
        assert acquirer.ledger.net_charge("visa") == 4000
        await terminal.close()

    run(scenario)


def test_link_down_closes_connections_and_refuses_new_ones_until_link_up_on_the_same_url():
    async def scenario(acquirer, clock):
        url = acquirer.url
        terminal = await Terminal.connect(url)
        await acquirer.refuse_connections()
        assert await terminal.closed_by_host()
        with pytest.raises(ConnectionRefusedError):
            await Terminal.connect(url)
        await acquirer.allow_connections()
        assert acquirer.url == url
        again = await Terminal.connect(url)
        assert (await again.request(echo(1)))["39"] == "00"
        await again.close()

    run(scenario)


def test_many_terminals_at_once_each_get_their_own_answers():
    async def scenario(acquirer, clock):
        terminals = [await Terminal.connect(acquirer.url) for _ in range(5)]
        for number, terminal in enumerate(terminals, start=1):
            await terminal.send(sale(1, 100 * number, tid=f"T000000{number}"))
        answers = await asyncio.gather(*(terminal.receive() for terminal in terminals))
        assert [answer["41"] for answer in answers] == [f"T000000{n}" for n in range(1, 6)]
        assert acquirer.ledger.net_charge("visa") == 1500
        for terminal in terminals:
            await terminal.close()

    run(scenario)
