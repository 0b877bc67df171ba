"""End of day from the cashier app: the settlement run over the counter's own acquirer link.

A second link would number its 0500 from the journal while the counter's link goes on numbering its own
requests, and would send stored reversals beside the counter's store-and-forward worker: one STAN
sequence and one queue means one link. So the end of day borrows the counter's `HostService` and hears
what it reports through `Counter.settling` for as long as it runs.

It is refused while a sale or a recovery is under way at the counter: the totals would be counted with a
charge still undecided, and the customer at the till comes first. Two kinds of flow do not hold it up,
because they wait on the link and not on anyone at the counter: card payments paused while the link is
down (settling then ends on "no answer" and says to check the network), and a reversal whose customer has
left (its case waits for store-and-forward, which is exactly what an out-of-balance settlement flushes).
While it runs `Counter.settling` is set, and the cashier app starts no sale.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.config import HostSettings
from agent.counter import Counter
from agent.settle.end_of_day import EndOfDay
from agent.settle.totals import batch_totals
from domain.effects import SettlementTotals, ShowPrompt
from flows import Flow

# Why end of day will not start now: `SettleRefused.code`, put into words by the screen.
REFUSALS = ("no_link", "settling", "under_way")
# A network drop's states once its customer has left: its case waits on store-and-forward alone.
CUSTOMER_LEFT = frozenset({"AWAITING_REVERSAL", "ESCALATED"})


class SettleRefused(Exception):
    """End of day cannot start now; `code` is one of REFUSALS, `flows` the flows under way."""

    def __init__(self, code: str, message: str, flows: tuple[str, ...] = ()) -> None:
        assert code in REFUSALS, code
        super().__init__(message)
        self.code = code
        self.flows = flows


def under_way(counter: Counter) -> tuple[str, ...]:
    """The flows at the counter that end of day must wait for, oldest first."""
    return tuple(flow.flow_id for flow in counter.flows.values() if not waits_on_the_link(flow))


def waits_on_the_link(flow: Flow) -> bool:
    """A network drop with no sale at stake (card payments paused counter-wide), or whose customer has left."""
    return flow.name == "network_drop" and (flow.ctx.sale is None or flow.state.name in CUSTOMER_LEFT)


class CounterEndOfDay:
    """One end of day on the counter's link: checked and counted when made, settled by `run`."""

    def __init__(self, counter: Counter, settings: HostSettings,
                 on_prompt: Callable[[ShowPrompt], None] | None = None) -> None:
        if counter.host is None:
            raise SettleRefused("no_link", "this counter has no acquirer link to settle over")
        if counter.settling is not None:
            raise SettleRefused("settling", "an end of day is already running at this counter")
        busy = under_way(counter)
        if busy:
            raise SettleRefused("under_way", f"still under way at the counter: {', '.join(busy)}", busy)
        self.counter = counter
        self.totals: SettlementTotals = batch_totals(counter.journal, settings.currency)
        self.end_of_day = EndOfDay(counter.journal, counter.clock, settings, counter.host, on_prompt=on_prompt)
        counter.settling = self.end_of_day.device_event  # from now: no sale starts, the link is heard here too

    async def run(self) -> str:
        """Settle; the counter has its link to itself again once the outcome is in (or the run is cancelled)."""
        try:
            return await self.end_of_day.run(self.totals)
        finally:
            self.counter.settling = None
