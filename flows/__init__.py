"""Recovery state machines: domain events in, effects out. No I/O, no clock reads.

The agent keeps one flow object per sale in recovery, feeds every domain event to each live flow with
`flow.handle(event)`, carries out the effects, and journals `flow.to_json()` so it can `resume` them
after a restart. A `HandOver` effect names the flow that takes the sale on: the agent creates it with
`FLOWS[handover.flow](flow_id, **config)` and feeds it the `HandOver` itself.
"""

from __future__ import annotations

from typing import Any

from flows.base import Flow, FlowStateError
from flows.declined import DeclinedFlow
from flows.network_drop import NetworkDropFlow
from flows.printer_fault import PrinterFaultFlow
from flows.receipt_unpaid import ReceiptUnpaidFlow
from flows.sale import SaleFlow
from flows.settlement import SettlementFlow
from flows.wrong_card import WrongCardFlow

FLOWS: dict[str, type[Flow]] = {flow.name: flow for flow in (SaleFlow, NetworkDropFlow, DeclinedFlow, PrinterFaultFlow,
                                                               WrongCardFlow, ReceiptUnpaidFlow, SettlementFlow)}


def resume(data: dict[str, Any]) -> Flow:
    """The flow saved by `Flow.to_json`, whichever kind it is, in the state it was saved in."""
    try:
        flow = FLOWS[data["flow"]]
    except (KeyError, TypeError):
        raise FlowStateError(f"saved flow names no known flow ({', '.join(FLOWS)}): "
                             f"{data.get('flow') if isinstance(data, dict) else data!r}") from None
    return flow.from_json(data)


__all__ = ["FLOWS", "DeclinedFlow", "Flow", "FlowStateError", "NetworkDropFlow", "PrinterFaultFlow",
           "ReceiptUnpaidFlow", "SaleFlow", "SettlementFlow", "WrongCardFlow", "resume"]
