"""A flow saved in any state resumes exactly: same state, same memory, same answers, nothing re-emitted."""

from __future__ import annotations

import json

import pytest

from flows import FLOWS, FlowStateError, resume
from tests.flows.explore import explore, replay
from tests.flows.samples import CARD, EVENTS


@pytest.mark.parametrize("name", FLOWS)
def test_every_reachable_state_round_trips_through_json_text(name):
    for saved in explore(name).paths:
        data = json.loads(saved)
        restored = resume(json.loads(json.dumps(data)))
        assert type(restored) is FLOWS[name]
        assert json.dumps(restored.to_json(), sort_keys=True) == saved


@pytest.mark.parametrize("name", FLOWS)
def test_a_restored_flow_answers_every_event_as_the_original_would(name):
    """In every state: the live flow and its restored copy give the same effects and end the same."""
    for state, path in explore(name).states().items():
        for event in EVENTS:
            live, _ = replay(name, path)
            restored = FLOWS[name].from_json(json.loads(json.dumps(live.to_json())))
            assert restored.prompt() == live.prompt()
            assert restored.handle(event) == live.handle(event), (state, event)
            assert restored.to_json() == live.to_json()


@pytest.mark.parametrize("name", FLOWS)
def test_the_saved_form_never_holds_the_card_number(name):
    for saved in explore(name).paths:
        assert CARD.pan not in saved
        assert CARD.pan[6:12] not in saved  # the masked middle


def test_a_wrong_or_damaged_saved_flow_is_refused_with_the_reason():
    sale = FLOWS["sale"]("F1").to_json()
    with pytest.raises(FlowStateError, match="no known flow"):
        resume({**sale, "flow": "teleport"})
    with pytest.raises(FlowStateError, match="'sale', not 'declined'"):
        FLOWS["declined"].from_json(sale)
    with pytest.raises(FlowStateError, match="format version 99"):
        resume({**sale, "version": 99})
    with pytest.raises(FlowStateError, match="unknown state 'LIMBO'; known: IDLE, WAITING_CARD"):
        resume({**sale, "state": "LIMBO"})
    with pytest.raises(FlowStateError, match=r"unreadable: TypeError .*colour"):
        resume({**sale, "context": {**sale["context"], "colour": "blue"}})
    with pytest.raises(FlowStateError, match="unreadable: KeyError 'amount'"):
        resume({**sale, "context": {"sale": {"sale_id": "S1"}}})
    with pytest.raises(FlowStateError, match="unreadable: KeyError 'flow_id'"):
        resume({key: value for key, value in sale.items() if key != "flow_id"})
    with pytest.raises(FlowStateError, match="max_reversal_failures"):
        resume({**FLOWS["network_drop"]("F1").to_json(), "context": {"max_reversal_failures": 0}})
    with pytest.raises(FlowStateError, match="JSON object, not list"):
        FLOWS["sale"].from_json([])  # type: ignore[arg-type]
    with pytest.raises(FlowStateError, match="no known flow"):
        resume("not a dict")  # type: ignore[arg-type]
