"""The acquirer on the wire: bad bytes, allowed lists, and a log that never shows a card number."""

import re

import pytest

from domain.card import luhn_valid
from drivers.errors import RemoteProtocolError
from drivers.host import codec
from simulator.cardreader.wallet import WALLET

from .terminal import MID, TID, Terminal, echo, refund, reversal, run, sale, settlement, void


def test_the_url_names_the_loopback_port():
    async def scenario(acquirer, clock):
        assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", acquirer.url) and acquirer.port > 0

    run(scenario)


def test_a_message_that_does_not_decode_gets_a_format_error_and_the_connection_lives_on():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.send_raw(codec.frame(b"0200F23C4" + b"\x00" * 5))
        assert await terminal.receive() == {"t": "0210", "39": "30"}
        await terminal.send_raw(codec.frame(b"\x01\x02garbage"))  # not even an MTI: nothing to answer
        assert (await terminal.request(echo(1)))["11"] == "000001"
        await terminal.close()

    run(scenario)


def test_a_broken_length_header_ends_the_connection():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.send_raw(b"\xff\xff" + b"x" * 10)
        assert await terminal.closed_by_host()
        assert any("out of step" in line for line in acquirer.log)

    run(scenario)


def test_allowed_terminals_and_merchants_over_the_wire():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        assert (await terminal.request(sale(1, 1000)))["39"] == "00"
        assert (await terminal.request(sale(2, 1000, tid="T0000666")))["39"] == "58"
        assert (await terminal.request(sale(3, 1000, mid="M00000000000666")))["39"] == "03"
        assert acquirer.ledger.net_charge("visa") == 1000
        await terminal.close()

    run(scenario, allowed_terminals=[TID], allowed_merchants=[MID])


def test_any_terminal_is_accepted_without_allowed_lists():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        assert (await terminal.request(sale(1, 1000, tid="ANYTERM1", mid="ANY MERCHANT 15")))["39"] == "00"
        await terminal.close()

    run(scenario)


_CARD_LIKE = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")


def test_the_log_never_contains_a_full_card_number():
    async def scenario(acquirer, clock):
        lines = []
        acquirer.on_log = lines.append
        terminal = await Terminal.connect(acquirer.url)
        for stan, card in enumerate(WALLET, start=1):
            await terminal.request(sale(stan, 1000, card))
        track_only = {k: v for k, v in sale(20, 1000).items() if k not in ("2", "14")}
        await terminal.request(track_only | {"35": WALLET["mastercard"].pan + "=30122010000"})
        rrn = (await terminal.request(sale(21, 1000, "amex")))["37"]
        await terminal.request(void(22, rrn, 1000))
        await terminal.request(refund(23, 500, "unionpay"))
        await terminal.request(reversal(sale(1, 1000)))
        await terminal.request(settlement(24, debits=(1, 1)))
        too_long = codec.encode(sale(25, 1000)).replace(b"164111111111111111", b"2041111111111111111111")
        await terminal.send_raw(codec.frame(too_long))
        assert (await terminal.receive())["39"] == "30"
        await acquirer.control(f"rule card {WALLET['visa'].pan} 05")
        await acquirer.control("ledger")
        await terminal.close()
        return lines

    lines = run(scenario)
    assert any("411111******1111" in line for line in lines)
    for line in lines:
        for run_ in _CARD_LIKE.findall(line):
            assert not luhn_valid(run_), line


def test_log_lines_are_stamped_with_clock_time():
    async def scenario(acquirer, clock):
        await clock.run_for(12.5)
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(echo(1))
        await terminal.close()
        return acquirer.log

    assert any(line.startswith("[    12.500]") and "recv 0800" in line for line in run(scenario))


@pytest.mark.parametrize("size", [1, 2, 300])
def test_garbage_is_never_mistaken_for_a_message(size):
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        acquirer.garbage(size)
        await terminal.send(sale(1, 1000))
        with pytest.raises(RemoteProtocolError):
            codec.decode(await terminal.receive_frame())
        await terminal.close()

    run(scenario)
