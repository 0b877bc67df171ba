"""One card presented at the counter pays for one sale, over real loopback TCP against the virtual acquirer."""

from domain.money import Money
from tests.agent.rig import run


def test_one_card_read_authorizes_at_most_one_of_the_sales_waiting_for_a_card(tmp_path):
    async def scenario(rig):
        first = rig.counter.start_sale(Money.parse("10.00"))  # e.g. keyed by mistake and never cancelled
        second = rig.counter.start_sale(Money.parse("20.00"))
        rig.swipe("visa")
        await rig.settle()
        assert len(rig.requests(first)) + len(rig.requests(second)) <= 1
        assert rig.net("visa") in (0, 1000, 2000)
        rig.audit()

    run(tmp_path, scenario)
