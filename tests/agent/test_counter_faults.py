"""Every fault of the virtual acquirer, met by the whole counter over real loopback TCP on a virtual clock.

Each test checks the money rules where they are decided: the acquirer's ledger says what the customer
paid, the agent's journal says what the agent believes and did — and `Rig.audit` holds the two against
each other, authorization by authorization (never charged twice, never a forgotten hold, no receipt
without an approval).
"""

import pytest

from tests.agent.rig import SETTINGS, run

ECHO_WINDOW = SETTINGS.echo_interval + SETTINGS.echo_deadline  # how long a dead link can go unnoticed


def reversed_once(rig, sale):
    """The sale's one authorization was reversed through store-and-forward, and acknowledged."""
    kinds = rig.kinds(sale)
    for kind in ("reversal_queued", "reversal_attempt", "reversal_acknowledged"):
        assert kind in kinds, f"{kind} missing from {kinds}"
    assert kinds.count("reversal_queued") == 1
    assert rig.host.saf.pending() == []


async def outcome_unknown_then_released(rig, sale):
    """The sale's outcome was unknown; the customer is told not to pay by card again; once the link is
    back the reversal is acknowledged and the screen says the hold is released."""
    await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
    flow = rig.flow(sale)
    assert rig.prompt_of(flow.flow_id) == "network.outcome_unknown"
    await rig.until(rig.at(sale, "network_drop", "RELEASED"), jump=True)
    assert rig.prompt_of(flow.flow_id) == "network.released"
    reversed_once(rig, sale)
    assert rig.receipts(sale) == []


# -- the host charged, the terminal never heard ------------------------------------------------------


def test_drop_after_request_charges_then_the_reversal_on_reconnect_releases_it(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sale = rig.sale("30.00")
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        assert rig.net() == 3000  # charged, and the terminal never heard
        assert "host_request_unanswered" in rig.kinds(sale)
        await outcome_unknown_then_released(rig, sale)
        assert rig.net() == 0
        (request,) = rig.requests(sale)
        assert rig.acquirer.ledger.entry("TERM0001", request["11"]).status == "reversed"
        assert rig.audit() == {sale: 0}

    run(tmp_path, scenario)


def test_black_hole_the_echo_deadline_finds_the_dead_link_long_before_the_authorization_timeout(tmp_path):
    async def scenario(rig):
        rig.acquirer.black_hole(times=None)  # a hung host: nothing is answered, echoes included
        sale = rig.sale("42.00")
        sent_at = rig.clock.monotonic()
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        flow = rig.flow(sale)
        (shown_at,) = [t for fid, prompt, t in rig.prompt_times
                       if fid == flow.flow_id and prompt == "network.outcome_unknown"]
        assert shown_at - sent_at <= ECHO_WINDOW < SETTINGS.auth_timeout
        assert rig.events("link_dead")
        assert rig.net() == 0  # swallowed: never applied
        rig.acquirer.clear_faults()  # the host comes back
        await outcome_unknown_then_released(rig, sale)
        assert rig.net() == 0
        assert rig.audit() == {sale: 0}
        history = [event.detail for event in rig.acquirer.ledger.history]
        assert any("no such transaction" in detail for detail in history)  # the reversal of nothing, acked

    run(tmp_path, scenario)


# -- slow answers ------------------------------------------------------------------------------------


def test_a_delay_within_the_timeout_is_just_a_slow_approval(tmp_path):
    async def scenario(rig):
        rig.acquirer.delay(1500)
        sale = rig.sale("58.00")
        await rig.until(lambda: rig.flow(sale) is None, jump=True)
        assert rig.prompts[-1] == (sale, "sale.approved")
        assert rig.clock.monotonic() >= 1.5
        assert rig.net() == 5800
        assert len(rig.receipts(sale)) == 1
        assert "reversal_queued" not in rig.kinds(sale)
        assert rig.audit() == {sale: 5800}

    run(tmp_path, scenario)


@pytest.mark.parametrize("fault", ["delay", "late_response"])
def test_an_answer_after_the_timeout_is_journaled_late_and_does_not_undo_the_reversal(tmp_path, fault):
    async def scenario(rig):
        after = SETTINGS.auth_timeout + 5
        if fault == "delay":
            rig.acquirer.delay(after * 1000)
        else:
            rig.acquirer.late_response(after)
        sale = rig.sale("77.00")
        await rig.until(lambda: rig.net() == 7700)  # applied on arrival
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        assert rig.clock.monotonic() == pytest.approx(SETTINGS.auth_timeout)  # the sale's own timer
        await outcome_unknown_then_released(rig, sale)
        await rig.until(lambda: rig.events("host_late_response", sale), jump=True)
        (late,) = rig.events("host_late_response", sale)
        assert late.payload["response"]["39"] == "00"  # an approval, too late to count
        await rig.settle()
        assert rig.net() == 0
        assert rig.receipts(sale) == []
        assert rig.flow(sale).state.name == "RELEASED"
        assert rig.audit() == {sale: 0}

    run(tmp_path, scenario)


# -- connections that break --------------------------------------------------------------------------


def test_a_reset_before_the_host_applied_the_request_is_reversed_all_the_same(tmp_path):
    async def scenario(rig):
        rig.acquirer.reset()
        sale = rig.sale("25.00")
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        assert rig.net() == 0  # the host never applied it — but the terminal cannot know that
        await outcome_unknown_then_released(rig, sale)
        history = [event.detail for event in rig.acquirer.ledger.history]
        assert any("no such transaction" in detail for detail in history)
        assert rig.net() == 0
        assert rig.audit() == {sale: 0}

    run(tmp_path, scenario)


@pytest.mark.parametrize("framed", [True, False], ids=["framed", "raw"])
def test_garbage_instead_of_the_answer_is_journaled_and_the_sale_reversed_never_applied_twice(tmp_path, framed):
    async def scenario(rig):
        rig.acquirer.garbage(24, framed=framed)
        sale = rig.sale("64.00")
        await rig.until(lambda: rig.net() == 6400)  # applied: the garbage replaced its approval
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        if framed:  # a message that cannot be read; the framing held, so the link stays up until the timeout
            assert rig.events("host_malformed") and not rig.events("link_dead")
            assert rig.clock.monotonic() == pytest.approx(SETTINGS.auth_timeout)
        else:  # a stream out of step: the link is dropped at once, and with it the answer
            assert rig.events("link_dead") and rig.clock.monotonic() == 0
        await outcome_unknown_then_released(rig, sale)
        assert rig.net() == 0
        assert rig.host.up  # the link recovered
        assert len(rig.requests(sale)) == 1 and len(rig.acquirer.ledger.for_card("visa")) == 1  # never resent
        assert rig.audit() == {sale: 0}
        # and the next sale goes through normally
        again = rig.sale("10.00")
        await rig.until(lambda: rig.flow(again) is None, jump=True)
        assert rig.audit() == {sale: 0, again: 1000}

    run(tmp_path, scenario)


def test_a_duplicate_answer_is_journaled_and_applied_once(tmp_path):
    async def scenario(rig):
        rig.acquirer.duplicate_response()
        sale = rig.sale("33.00")
        await rig.until(lambda: rig.events("host_duplicate_response", sale))
        await rig.settle()
        assert rig.prompts[-1] == (sale, "sale.approved")
        assert rig.kinds(sale).count("host_response") == 1
        assert len(rig.receipts(sale)) == 1
        assert rig.net() == 3300
        assert rig.audit() == {sale: 3300}

    run(tmp_path, scenario)


# -- the host says no ------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "code", "prompt"), [
    ("12.51", "51", "declined.insufficient_funds"),
    ("12.54", "54", "declined.expired_card"),
    ("12.05", "05", "declined.do_not_honour"),
    ("12.14", "14", "declined.invalid_card"),
    ("12.91", "91", "declined.issuer_unavailable"),
    ("12.96", "96", "declined.system_malfunction"),
])
def test_a_decline_hands_over_to_the_declined_flow_and_nothing_is_charged(tmp_path, amount, code, prompt):
    async def scenario(rig):
        sale = rig.sale(amount)
        await rig.until(rig.at(sale, "declined", "DECLINED"))
        flow = rig.flow(sale)
        assert rig.prompt_of(flow.flow_id) == prompt
        assert flow.sale.response_code == code
        assert rig.net() == 0
        assert rig.receipts(sale) == []
        assert "reversal_queued" not in rig.kinds(sale)
        rig.counter.act(flow.flow_id, "other_payment", method="cash")
        assert rig.flow(sale) is None
        assert "payment_recorded" in rig.kinds(sale)
        assert rig.audit() == {sale: 0}

    run(tmp_path, scenario)


# -- regressions: bugs these tests found, fixed in 3f2dfea ------------------------------------------


def test_a_reversal_the_acquirer_refuses_stays_queued_until_it_is_accepted(tmp_path):
    """Was: any 0410 counted as the acknowledgement, so a refused reversal (96: nothing released) left the
    queue and the customer was told the hold was released while the acquirer still held the money."""
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sale = rig.sale("30.00")
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        rig.acquirer.rules.set_next(1, "96")  # the first reversal is refused: system malfunction, nothing released
        await rig.until(lambda: rig.drained() and rig.flow(sale).state.name == "RELEASED", jump=True)
        assert rig.net() == 0  # repeated (0401) until the acquirer accepts it, and only then "released"
        assert [e.payload["request"]["t"] for e in rig.events("reversal_attempt", sale)] == ["0400", "0401"]
        assert "96" in rig.events("reversal_unanswered", sale)[0].payload["reason"]
        assert rig.audit() == {sale: 0}

    run(tmp_path, scenario)


def test_a_restart_after_a_repeated_reversal_never_reuses_a_stan_of_the_open_batch(tmp_path):
    """Was: numbering restarted from the newest request on record — a 0401 repeat carrying its 0400's older
    STAN — so the new agent reused STANs of the open batch (refused 94), and the reversal of such a request
    released an earlier sale that was approved and receipted."""
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        first = rig.sale("30.00", "visa")
        await rig.until(rig.at(first, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        rig.acquirer.late_response(3600)  # the 0400 is applied, but its answer never comes in time
        await rig.until(lambda: rig.events("reversal_attempt"), jump=True)
        paid = {rig.sale(amount, card): (card, minor) for amount, card, minor in (
            ("11.00", "mastercard", 1100), ("12.00", "unionpay", 1200), ("13.00", "amex", 1300))}
        await rig.until(lambda: all(rig.flow(sale) is None for sale in paid))
        await rig.until(lambda: not rig.host.saf.pending(), jump=True)  # the 0401 repeat, acknowledged
        assert [e.payload["request"]["t"] for e in rig.events("reversal_attempt")] == ["0400", "0401"]

        await rig.crash_and_restart("restarted.sqlite")
        rig.acquirer.drop_after_request()
        for _ in range(3):  # whatever STAN the new agent picks, its reversal must touch nothing else
            again = rig.sale("14.00", "visa_other")
            await rig.until(lambda s=again: rig.flow(s) is not None and rig.flow(s).name != "sale", jump=True)
            await rig.until(rig.drained, jump=True)
            rig.acquirer.drop_after_request()
        rig.acquirer.clear_faults()
        for sale, (card, minor) in paid.items():
            assert len(rig.receipts(sale)) == 1
            assert rig.net(card) == minor, f"{card}: approved and receipted, then released by another's reversal"
        rig.audit()

    run(tmp_path, scenario)


def test_store_and_forward_waits_while_the_link_is_known_dead_instead_of_spinning(tmp_path):
    """Was: when the link was known dead but not yet reported down, every attempt was refused at once and
    retried at once, without awaiting — a busy loop that froze the agent's event loop."""
    async def scenario(rig):
        rig.guard_spin()
        rig.clock.advance(2)  # nothing due yet: the last echo was answered at t=0
        rig.acquirer.late_response(3600)
        sale = rig.sale("30.00")  # sent at t=2: its timer falls due at t=32
        await rig.until(lambda: rig.clock.monotonic() >= 25, jump=True)  # echoes answered at 5, 10, … 25
        await rig.settle()
        rig.acquirer.black_hole(times=None)  # then the host hangs: the echo sent at 30 is due back at 32
        # At t=32 the sale's timer queues its reversal and the echo deadline kills the link, together.
        await rig.until(lambda: rig.spinning or rig.flow(sale).name == "network_drop", jump=True)
        rig.acquirer.clear_faults()
        await rig.until(lambda: rig.spinning or (rig.drained() and rig.flow(sale).state.name == "RELEASED"),
                        jump=True)
        assert not rig.spinning
        assert rig.net() == 0

    run(tmp_path, scenario)


def test_stopping_is_prompt_even_with_a_reversal_in_flight(tmp_path):
    """Was: the back-off after a failed attempt cleared the wake-up a stop had just set, so the agent slept out
    the whole back-off (up to 60 s; forever on a virtual clock) before it stopped."""
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sale = rig.sale("30.00")
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        rig.acquirer.late_response(3600)  # the 0400 goes out and its answer is held
        await rig.until(lambda: rig.events("reversal_attempt"), jump=True)
        await rig.settle()
        rig.counter.stop()  # the cashier closes the agent: the attempt in flight fails with the connection
        await rig.settle()
        assert rig.task.done(), "the agent is still running, its store-and-forward asleep on the back-off"

    run(tmp_path, scenario)
