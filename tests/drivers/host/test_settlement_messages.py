"""0500/0510 settlement totals: built, framed, fed back byte at a time, read; and refused when they cannot be sent."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ids import Stan
from domain.money import Money
from drivers.errors import LocalProtocolError
from drivers.host import codec
from drivers.host.messages import Terminal, parse_response, settlement

TERMINAL = Terminal("TERM0001", "MERCHANT0000001")
AT = datetime(2026, 1, 5, 14, 30, 5, tzinfo=UTC)


def totals(sales=0, sales_minor=0, refunds=0, refunds_minor=0, currency="CNY"):
    return {"debits_count": sales, "debits_amount": Money(sales_minor, currency), "credits_count": refunds,
            "credits_amount": Money(refunds_minor, currency)}


@given(sales=st.integers(0, 10**10 - 1), sales_minor=st.integers(0, 10**16 - 1),
       refunds=st.integers(0, 10**10 - 1), refunds_minor=st.integers(0, 10**16 - 1), stan=st.integers(1, 999_999))
def test_the_totals_survive_the_wire_fed_byte_at_a_time(sales, sales_minor, refunds, refunds_minor, stan):
    fields = settlement(at=AT, terminal=TERMINAL, stan=Stan(stan),
                        **totals(sales, sales_minor, refunds, refunds_minor))
    wire = codec.frame(codec.encode(fields))
    deframer = codec.Deframer()
    messages = []
    for byte in wire:
        deframer.receive_data(bytes([byte]))
        if (message := deframer.next_message()) is not None:
            messages.append(codec.decode(message))
    assert messages == [fields]
    assert (int(fields["76"]), int(fields["88"]), int(fields["74"]), int(fields["86"])) == \
        (sales, sales_minor, refunds, refunds_minor)


def test_the_fields_are_the_1987_reconciliation_totals():
    fields = settlement(at=AT, terminal=TERMINAL, **totals(3, 17400, 1, 1250))
    assert fields == {"t": "0500", "7": "0105143005", "41": "TERM0001", "42": "MERCHANT0000001", "49": "156",
                      "74": "0000000001", "76": "0000000003", "86": "0000000000001250", "88": "0000000000017400"}


@pytest.mark.parametrize("code", ["00", "95", "96"])
def test_the_answer_is_read_like_any_response(code):
    answer = {"t": "0510", "11": "000042", "39": code, "41": "TERM0001", "76": "0000000003"}
    response = parse_response(codec.decode(codec.encode(answer)))
    assert (response.stan, response.response_code, response.rrn) == (Stan(42), code, None)


@pytest.mark.parametrize(("change", "problem"), [
    ({"debits_count": -1}, "counts must be 0..9999999999"),
    ({"credits_count": 10**10}, "counts must be 0..9999999999"),
    ({"debits_count": True}, "counts must be 0..9999999999"),
    ({"debits_amount": Money(10**16)}, "does not fit 16 digits"),
    ({"credits_amount": Money(5, "USD")}, "is not in the terminal's currency"),
])
def test_totals_that_cannot_be_sent_are_refused_before_the_wire(change, problem):
    with pytest.raises(LocalProtocolError, match=problem):
        settlement(at=AT, terminal=TERMINAL, **(totals() | change))


def test_a_naive_time_is_refused():
    with pytest.raises(LocalProtocolError, match="has no time zone"):
        settlement(at=datetime(2026, 1, 5, 14, 30), terminal=TERMINAL, **totals())
