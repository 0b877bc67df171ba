"""Cases as the real counter opens and resolves them, against the virtual acquirer on a virtual clock."""

from agent.cases import CaseSettings, CaseStore
from agent.contacts import ContactStore
from domain.money import Money
from tests.agent.rig import run

SETTINGS = CaseSettings(timezone="Asia/Shanghai")


def test_a_declined_customer_who_leaves_details_has_an_open_case_to_follow_up(tmp_path):
    async def scenario(rig):
        sale = rig.counter.start_sale(Money.parse("12.51"))  # the acquirer answers 51, insufficient funds
        rig.swipe()
        await rig.until(lambda: (f := rig.counter.flow_of(sale)) is not None and f.name == "declined")
        flow = rig.counter.flow_of(sale)
        rig.counter.act(flow.flow_id, "customer_leaves")
        contact = ContactStore(rig.journal, b"k" * 32).record(consent=True, phone="13800138000",
                                                               case_id=flow.flow_id)
        rig.counter.act(flow.flow_id, "contact_saved", contact_id=contact)
        store = CaseStore(rig.journal, rig.clock, SETTINGS)
        (row,) = store.list(state="open")
        case = store.get(row.case_id)
        assert (case.case_id, case.case_type, case.sale_ids, case.amount, case.contact_id) == \
            (flow.flow_id, "declined", (sale,), Money(1251), contact)
        assert case.masked == "411111******1111" and case.next_followup > case.opened_at
        store.record_attempt(case.case_id, channel="phone", outcome="customer_paid", who="李")
        assert store.close(case.case_id, resolution="paid", who="李").state == "closed"

    run(tmp_path, scenario)


def test_a_network_drop_case_is_closed_when_the_counter_releases_the_hold(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sale = rig.counter.start_sale(Money.parse("30.00"))
        rig.swipe()
        await rig.until(lambda: (f := rig.counter.flow_of(sale)) is not None and f.state.name == "OUTCOME_UNKNOWN")
        flow = rig.counter.flow_of(sale)
        rig.counter.act(flow.flow_id, "customer_leaves")
        rig.counter.act(flow.flow_id, "contact_declined")
        await rig.until(lambda: rig.counter.flow_of(sale) is None, jump=True)
        case = CaseStore(rig.journal, rig.clock, SETTINGS).get(flow.flow_id)
        assert (case.state, case.resolution, case.closed_by) == ("closed", "hold_released", "counter")
        assert case.next_followup is None and case.sale_ids == (sale,)

    run(tmp_path, scenario)
