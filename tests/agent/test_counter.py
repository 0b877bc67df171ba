"""The counter end to end: flows, the journal and the agent's host service against the virtual acquirer
over loopback TCP, on a virtual clock. Card reads are fed as the reader service delivers them."""

import asyncio

from agent.contacts import ContactStore
from domain.money import Money
from tests.agent.rig import Rig, run


def test_a_clean_sale_is_approved_and_its_receipt_queued(tmp_path):
    async def scenario(rig):
        sale = rig.counter.start_sale(Money.parse("58.00"))
        assert rig.prompts[-1] == (sale, "sale.present_card")
        rig.swipe()
        await rig.until(lambda: sale not in rig.counter.flows)
        assert rig.prompts[-1] == (sale, "sale.approved")
        assert rig.acquirer.ledger.net_charge("visa") == 5800
        kinds = rig.kinds(sale)
        assert kinds.index("host_request") < kinds.index("host_response") < kinds.index("receipt_to_print")

    run(tmp_path, scenario)


def test_a_decline_hands_over_with_the_prompt_for_its_code(tmp_path):
    async def scenario(rig):
        sale = rig.counter.start_sale(Money.parse("12.51"))
        rig.swipe()
        await rig.until(lambda: rig.counter.flow_of(sale) is not None
                        and rig.counter.flow_of(sale).name == "declined")
        flow = rig.counter.flow_of(sale)
        assert rig.prompts[-1][1] == "declined.insufficient_funds"
        assert rig.acquirer.ledger.net_charge("visa") == 0
        rig.counter.act(flow.flow_id, "other_payment", method="cash")
        assert "payment_recorded" in rig.kinds(sale)

    run(tmp_path, scenario)


def test_network_drop_after_the_host_charged_is_reversed_and_the_customer_told(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sale = rig.counter.start_sale(Money.parse("30.00"))
        rig.swipe()
        await rig.until(lambda: (f := rig.counter.flow_of(sale)) is not None and f.state.name == "OUTCOME_UNKNOWN")
        assert rig.acquirer.ledger.net_charge("visa") == 3000  # charged; the terminal never heard
        flow = rig.counter.flow_of(sale)
        assert rig.prompt_of(flow.flow_id) == "network.outcome_unknown"
        assert rig.counter.screen.card_payments_paused  # and the link is down: the banner is up
        rig.counter.act(flow.flow_id, "customer_leaves")
        assert flow.flow_id in rig.counter.screen.capturing_contact
        store = ContactStore(rig.journal, b"k" * 32)
        contact = store.record(consent=True, phone="13800138000", channel="sms", case_id=flow.flow_id)
        rig.counter.act(flow.flow_id, "contact_saved", contact_id=contact)
        await rig.until(lambda: rig.counter.flow_of(sale) is None, jump=True)
        assert rig.acquirer.ledger.net_charge("visa") == 0
        kinds = rig.kinds(sale)
        for kind in ("reversal_queued", "reversal_attempt", "reversal_acknowledged", "case_opened", "case_resolved"):
            assert kind in kinds, kind
        (draft,) = rig.counter.outbox.drafts()
        assert draft["contact_id"] == contact and "30.00" in draft["text"]["zh-CN"]
        assert "411111******1111" in draft["text"]["en"]

    run(tmp_path, scenario)


def test_link_lost_while_idle_pauses_card_payments_until_it_is_back(tmp_path):
    async def scenario(rig):
        await rig.acquirer.refuse_connections()
        await rig.until(lambda: rig.counter.screen.card_payments_paused is not None, jump=True)
        await rig.acquirer.allow_connections()
        await rig.until(lambda: rig.counter.screen.card_payments_paused is None, jump=True)
        assert rig.host.up

    run(tmp_path, scenario)


def test_a_crash_with_an_authorization_in_doubt_is_reversed_from_the_journal_alone(tmp_path):
    async def main():
        rig = Rig(tmp_path / "j.sqlite")
        await rig.start()
        rig.acquirer.late_response(3600)  # charged, and the answer held back
        sale = rig.counter.start_sale(Money.parse("9.00"))
        rig.swipe()
        await rig.until(lambda: rig.acquirer.ledger.net_charge("visa") == 900)
        assert rig.counter.flow_of(sale).state.name == "AWAITING_RESPONSE"
        # The disk as a power cut leaves it: the database and its write-ahead log, mid-sale.
        crash = rig.crash_image("crash.sqlite")
        await rig.stop()

        await rig.start(crash)  # a new agent with nothing but that journal
        assert "resumed_in_doubt" in rig.kinds(sale)
        await rig.until(lambda: rig.acquirer.ledger.net_charge("visa") == 0, jump=True)
        assert [e.payload["request"]["t"] for e in rig.journal.events(kind="reversal_attempt")] == ["0400"]
        await rig.stop()
        await rig.acquirer.close()

    asyncio.run(main())
