"""Every fault over real loopback TCP, as a terminal meets it. Time is virtual: a 35 s late answer
costs nothing, and nothing here sleeps on the wall clock."""

import asyncio

import pytest

from drivers.errors import RemoteProtocolError
from drivers.host import codec

from .terminal import TID, Terminal, echo, reversal, run, sale


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
