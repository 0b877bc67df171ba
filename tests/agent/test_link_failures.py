"""The acquirer link failing in ways that must be told truthfully, met by the whole counter over real loopback
TCP on a virtual clock: a link that keeps coming back only to drop again, and a reversal the acquirer will not
honour because it had already settled the charge."""

from agent.cases.store import CaseStore
from tests.agent.rig import run


def idle_flows(rig) -> set[str]:
    """The network_drop flows the link opened on its own, with no sale at stake, as the journal has them."""
    return {event.payload["flow_id"] for event in rig.events("flow_saved")
            if event.payload["flow"]["flow"] == "network_drop" and event.payload["flow"]["context"]["sale"] is None}


def test_a_flapping_link_is_one_pause_for_the_cashier_not_a_flow_per_drop(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request(times=None)  # echoes pass, so the link comes back; every request drops it
        sale = rig.sale("30.00")
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        # The queued reversal goes out on every link-up and is dropped each time: the link flaps.
        await rig.until(lambda: len(rig.events("link_down")) >= 8, jump=True)
        assert len(idle_flows(rig)) == 1
        assert len(rig.events("card_payments_paused")) == 1 and not rig.events("card_payments_resumed")
        assert rig.counter.screen.card_payments_paused is not None
        (idle,) = idle_flows(rig)
        shown = [prompt for flow_id, prompt in rig.prompts if flow_id == idle]
        assert shown == ["network.card_paused"]  # one screen the whole time, whatever the link does
        # A sale started while the link flaps is handled as any sale on a failing link.
        other = rig.sale("12.00", "mastercard")
        await rig.until(lambda: (flow := rig.flow(other)) is not None and flow.name == "network_drop", jump=True)
        assert rig.flow(other).state.name in ("OUTCOME_UNKNOWN", "NOTHING_CHARGED")
        assert len(idle_flows(rig)) == 1
        # The host mends: the reversals are acknowledged, the link holds, card payments resume once.
        rig.acquirer.clear_faults()
        await rig.until(lambda: rig.counter.screen.card_payments_paused is None, jump=True)
        assert len(rig.events("card_payments_resumed")) == 1 and len(idle_flows(rig)) == 1
        await rig.until(rig.drained, jump=True)
        assert rig.net("visa") == 0 and rig.net("mastercard") == 0
        rig.audit()

    run(tmp_path, scenario)


def test_a_reversal_refused_after_the_host_settled_goes_to_the_manager_and_the_charge_stands(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()  # charged at the host; the answer is lost
        sale = rig.sale("30.00")
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"))
        await rig.acquirer.refuse_connections()  # the link stays down ...
        rig.acquirer.settle()  # ... across the host's cut-over: the charge is settled
        flow = rig.flow(sale)
        rig.counter.act(flow.flow_id, "customer_leaves")
        rig.counter.act(flow.flow_id, "contact_declined")
        assert flow.state.name == "AWAITING_REVERSAL"
        await rig.acquirer.allow_connections()
        await rig.until(lambda: rig.events("reversal_refused"), jump=True)
        await rig.settle()
        assert flow.state.name == "CHARGE_STANDS" and rig.flow(sale) is None
        assert rig.prompt_of(flow.flow_id) == "network.charge_stands"
        (escalated,) = rig.events("escalated", sale)
        assert escalated.payload["reason"] == "reversal_refused_charge_settled"
        kinds = rig.kinds(sale)
        assert "case_resolved" not in kinds and "notification_drafted" not in kinds  # nobody told "released"
        assert CaseStore(rig.journal, rig.clock).get(flow.flow_id).state == "open"
        # Final: off the queue and never sent again, however long the link stays up.
        for _ in range(5):
            rig.clock.jump()
            await rig.settle()
        assert rig.host.saf.pending() == []
        assert len(rig.events("reversal_attempt", sale)) == 1
        assert rig.net() == 3000  # the bank's ledger: the charge stands
        assert rig.audit() == {sale: 3000}

    run(tmp_path, scenario)
