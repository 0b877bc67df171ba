"""The 0600 status inquiry: "does this sale's charge stand?", answered from the ledger and changing nothing.

Driven through the acquirer's core for the answers, and once over loopback TCP, faults included.
"""

import copy

import pytest

from domain.clock import VirtualClock
from simulator.host.core import AcquirerCore

from .terminal import TID, Terminal, inquiry, refund, reversal, run, sale, settlement, void


def core() -> AcquirerCore:
    return AcquirerCore(VirtualClock())


def ask(acquirer: AcquirerCore, request: dict) -> tuple[dict, str]:
    """The 0610 and the host's note, checking the inquiry left the ledger exactly as it was."""
    before = copy.deepcopy(acquirer.ledger)
    handled = acquirer.handle(request)
    assert acquirer.ledger == before
    assert handled.response is not None and handled.response["t"] == "0610"
    return handled.response, handled.note


def test_an_approved_sale_stands_and_the_answer_carries_its_rrn_and_auth_code():
    acquirer = core()
    original = sale(12, 5800)
    approval = acquirer.handle(original).response
    response, note = ask(acquirer, inquiry(original, 13))
    assert response == {"t": "0610", "3": "330000", "4": "000000005800", "7": "0105100000", "11": "000013",
                        "12": "100000", "13": "0105", "41": TID, "42": "M00000000000001", "49": "156",
                        "90": inquiry(original, 13)["90"], "39": "00", "37": approval["37"], "38": approval["38"]}
    assert note == "inquiry of STAN 000012: approved, charge stands"


def test_a_settled_sale_stands():
    acquirer = core()
    original = sale(1, 1000)
    acquirer.handle(original)
    assert acquirer.handle(settlement(2, debits=(1, 1000))).response["39"] == "00"
    response, note = ask(acquirer, inquiry(original, 3))
    assert response["39"] == "00" and note == "inquiry of STAN 000001: settled, charge stands"


def test_a_refund_does_not_undo_that_the_sale_was_paid():
    acquirer = core()
    original = sale(1, 1000)
    rrn = acquirer.handle(original).response["37"]
    assert acquirer.handle(refund(2, 400, rrn=rrn)).response["39"] == "00"
    assert ask(acquirer, inquiry(original, 3))[0]["39"] == "00"


def test_a_declined_sale_is_no_such_record():
    acquirer = core()
    original = sale(1, 1051)
    acquirer.handle(original)
    response, note = ask(acquirer, inquiry(original, 2))
    assert (response["39"], note) == ("25", "inquiry of STAN 000001: declined 51, nothing charged")
    assert not {"37", "38"} & response.keys()


def test_a_reversed_sale_is_no_such_record():
    acquirer = core()
    original = sale(1, 1000)
    acquirer.handle(original)
    acquirer.handle(reversal(original))
    response, note = ask(acquirer, inquiry(original, 2))
    assert (response["39"], note) == ("25", "inquiry of STAN 000001: reversed, nothing charged")
    assert not {"37", "38"} & response.keys()


def test_a_voided_sale_is_no_such_record():
    acquirer = core()
    original = sale(1, 1000)
    rrn = acquirer.handle(original).response["37"]
    assert acquirer.handle(void(2, rrn, 1000)).response["39"] == "00"
    response, note = ask(acquirer, inquiry(original, 3))
    assert (response["39"], note) == ("25", "inquiry of STAN 000001: voided, nothing charged")


@pytest.mark.parametrize(("request_", "found"), [
    (inquiry(sale(9, 1000), 2), "no such transaction"),  # a STAN the host never saw
    (inquiry(sale(1, 1000, tid="T0000002"), 2), "no such transaction"),  # another terminal's STAN 1
    (inquiry(sale(1, 2000), 2), "the sale with that STAN is of CNY 10.00, not CNY 20.00: no such transaction"),
])
def test_an_inquiry_that_names_no_sale_of_ours_is_no_such_record(request_, found):
    acquirer = core()
    acquirer.handle(sale(1, 1000))
    response, note = ask(acquirer, request_)
    assert (response["39"], note.split(": ", 1)[1]) == ("25", found)


def test_a_void_or_refund_named_by_field_90_is_not_a_sale():
    acquirer = core()
    rrn = acquirer.handle(sale(1, 1000)).response["37"]
    cancel = void(2, rrn, 1000)
    acquirer.handle(cancel)
    response, note = ask(acquirer, inquiry(cancel, 3))
    assert response["39"] == "25" and note == "inquiry of STAN 000002: a void, not a sale: no such transaction"


@pytest.mark.parametrize(("change", "why"), [
    ({"90": "0200ABCDEF" + "0" * 32}, "field 90"),
    ({"90": "0200"}, "field 90"),
    ({"3": "000000"}, "processing code '000000' is not 330000"),
    ({"3": None}, "processing code None"),
    ({"90": None}, "field 90"),
    ({"4": None}, "field 4"),
    ({"49": "999"}, "currency"),
])
def test_a_malformed_inquiry_is_a_format_error(change, why):
    acquirer = core()
    original = sale(1, 1000)
    acquirer.handle(original)
    request = inquiry(original, 2)
    for field, value in change.items():
        request.pop(field) if value is None else request.__setitem__(field, value)
    response, note = ask(acquirer, request)
    assert response["39"] == "30" and why in note


def test_an_inquiry_does_not_spend_a_next_n_override_meant_for_a_sale():
    acquirer = core()
    original = sale(1, 1000)
    acquirer.handle(original)
    acquirer.rules.set_next(1, "96")
    assert ask(acquirer, inquiry(original, 2))[0]["39"] == "00"
    assert acquirer.rules.next_left == 1
    assert acquirer.handle(sale(3, 1000)).response["39"] == "96"


def test_an_inquiry_over_loopback_tcp():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        original = sale(1, 1000)
        approval = await terminal.request(original)
        answer = await terminal.request(inquiry(original, 2))
        assert (answer["t"], answer["11"], answer["39"], answer["37"]) == ("0610", "000002", "00", approval["37"])
        await terminal.request(reversal(original))
        assert (await terminal.request(inquiry(original, 3)))["39"] == "25"
        assert any("inquiry of STAN 000001: reversed, nothing charged" in line for line in acquirer.log)
        await terminal.close()

    run(scenario)


def test_faults_strike_an_inquiry_like_any_request():
    async def scenario(acquirer, clock):
        terminal = await Terminal.connect(acquirer.url)
        original = sale(1, 1000)
        await terminal.request(original)
        acquirer.drop_after_request()
        await terminal.send(inquiry(original, 2))
        assert await terminal.closed_by_host()
        assert acquirer.faults.current is None  # the inquiry used the fault up
        again = await Terminal.connect(acquirer.url)
        acquirer.late_response(35)
        await again.send(inquiry(original, 3))
        await clock.run_for(35)
        assert (await again.receive())["39"] == "00"
        await again.close()
        assert acquirer.ledger.net_charge("visa") == 1000

    run(scenario)
