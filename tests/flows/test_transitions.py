"""Every transition of every flow fires, every state is reached, and nothing unexpected ever raises."""

from __future__ import annotations

import json

import pytest

from domain.events import CashierAction
from flows import FLOWS
from flows.prompts import catalogue
from tests.flows.explore import explore, new_flow, recording, replay, transition_keys
from tests.flows.samples import ACTION_NAMES, EVENTS, IGNORABLE, action

ALL_TRANSITIONS = sorted(((name, key) for name in FLOWS for key in transition_keys(name)), key=str)


def _id(case: tuple) -> str:
    name, (trigger, source, dest, conditions) = case
    guard = f"[{','.join(conditions)}]" if conditions else ""
    return f"{name}:{source}-{trigger}{guard}->{dest or 'internal'}"


@pytest.mark.parametrize("case", ALL_TRANSITIONS, ids=[_id(case) for case in ALL_TRANSITIONS])
def test_every_transition_fires(case):
    name, key = case
    path = explore(name).fired.get(key)
    assert path is not None, f"no sequence of sample events fires {_id(case)}"
    flow, _ = replay(name, path[:-1])
    fired: list = []
    with recording(fired):
        flow.handle(path[-1])
    assert fired == [key]


@pytest.mark.parametrize("name", FLOWS)
def test_every_state_is_reached(name):
    assert set(explore(name).states()) == {state.name for state in FLOWS[name].State}


@pytest.mark.parametrize("name", FLOWS)
def test_events_a_state_does_not_expect_are_ignored(name):
    """In every reachable state: no exception, no effect, no change — for events not expected there."""
    for saved in explore(name).paths:
        flow = FLOWS[name].from_json(json.loads(saved))
        for event in EVENTS:
            if flow.expects(event):
                continue
            assert flow.handle(event) == [], (flow.state, event)
            assert json.dumps(flow.to_json(), sort_keys=True) == saved


@pytest.mark.parametrize("name", FLOWS)
def test_unrelated_events_are_never_expected(name):
    for saved in explore(name).paths:
        flow = FLOWS[name].from_json(json.loads(saved))
        assert not any(flow.expects(event) for event in IGNORABLE), flow.state


@pytest.mark.parametrize("name", FLOWS)
def test_the_screen_offers_exactly_the_actions_the_flow_takes(name):
    """What the prompt lists is what the flow answers to: no dead keys, no hidden ones."""
    for saved in explore(name).paths:
        data = json.loads(saved)
        probe = FLOWS[name].from_json(data)
        prompt = probe.prompt()
        offered = set(catalogue().prompts[prompt.prompt_id].actions) if prompt else set()
        taken = set()
        for action_name in ACTION_NAMES:
            if not probe.expects(action(action_name)):
                continue  # and so ignored: see the test above
            flow = FLOWS[name].from_json(data)
            if flow.handle(action(action_name)) or flow.to_json() != data:
                taken.add(action_name)
        assert taken == offered, (data["state"], prompt)


@pytest.mark.parametrize("name", FLOWS)
def test_actions_without_their_data_are_ignored(name):
    for saved in explore(name).paths:
        flow = FLOWS[name].from_json(json.loads(saved))
        for incomplete in (CashierAction("other_payment", {"method": " "}), CashierAction("contact_saved", {})):
            assert flow.handle(incomplete) == []


def test_a_fresh_flow_waits_in_idle_and_shows_nothing():
    for name in FLOWS:
        flow = new_flow(name)
        assert flow.state.name == "IDLE"
        assert flow.prompt() is None
