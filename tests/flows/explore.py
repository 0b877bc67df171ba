"""Breadth-first exploration of a flow: every sample event in every reachable state.

It answers, for each flow, which states and contexts can be reached (with the shortest path of events
to each), which of the machine's transitions fired (with a path that fires it), and every prompt shown
on the way. The transition tests, the round-trip tests and the prompt tests all stand on it.
"""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from transitions.core import Transition

from domain.effects import ShowPrompt
from flows import FLOWS, Flow
from tests.flows.samples import EVENTS, FLOW_ID

# (trigger, source, dest or None for internal, condition names)
TransitionKey = tuple[str, str, str | None, tuple[str, ...]]

MAX_DEPTH = 10
# Three attempts instead of five keep the search small; the default is tested on its own.
CONFIG: dict[str, dict[str, Any]] = {"network_drop": {"max_reversal_failures": 3}}


def new_flow(name: str) -> Flow:
    return FLOWS[name](FLOW_ID, **CONFIG.get(name, {}))


def transition_keys(name: str) -> set[TransitionKey]:
    """Every transition the flow's machine is built from, one per source state."""
    keys = set()
    for item in new_flow(name).machine_definition()["transitions"]:
        sources = item["source"] if isinstance(item["source"], list) else [item["source"]]
        dest = None if item["dest"] is None else item["dest"].name
        conditions = tuple(condition.__name__ for condition in item.get("conditions", []))
        keys.update((item["trigger"], source.name, dest, conditions) for source in sources)
    return keys


@contextmanager
def recording(fired: list[TransitionKey]) -> Iterator[None]:
    """Note every transition `transitions` executes (conditions passed) while inside."""
    original = Transition.execute

    def execute(self: Transition, event_data: Any) -> bool:
        done = original(self, event_data)
        if done:
            conditions = tuple(condition.func.__name__ for condition in self.conditions)
            fired.append((event_data.event.name, self.source, self.dest, conditions))
        return done

    Transition.execute = execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        Transition.execute = original  # type: ignore[method-assign]


def replay(name: str, path: tuple[Any, ...]) -> tuple[Flow, list[Any]]:
    """A fresh flow driven through `path`; returns it and the effects of the last event."""
    flow = new_flow(name)
    effects: list[Any] = []
    for event in path:
        effects = flow.handle(event)
    return flow, effects


def key_of(flow: Flow) -> str:
    return json.dumps(flow.to_json(), sort_keys=True)


@dataclass
class Exploration:
    paths: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # saved form → shortest path to it
    fired: dict[TransitionKey, tuple[Any, ...]] = field(default_factory=dict)  # transition → a path firing it
    prompts: list[ShowPrompt] = field(default_factory=list)  # every prompt emitted on the way

    def states(self) -> dict[str, tuple[Any, ...]]:
        """State name → the shortest path reaching it."""
        found: dict[str, tuple[Any, ...]] = {}
        for saved, path in self.paths.items():
            found.setdefault(json.loads(saved)["state"], path)
        return found


@functools.cache
def explore(name: str) -> Exploration:
    result = Exploration()
    start = new_flow(name)
    result.paths[key_of(start)] = ()
    queue: deque[tuple[dict[str, Any], tuple[Any, ...]]] = deque([(start.to_json(), ())])
    while queue:
        saved, path = queue.popleft()
        if len(path) >= MAX_DEPTH:
            continue
        probe = FLOWS[name].from_json(saved)
        for event in EVENTS:
            if not probe.expects(event):
                continue  # ignored without a trace: test_unexpected_events checks that
            flow = FLOWS[name].from_json(saved)
            fired: list[TransitionKey] = []
            with recording(fired):
                effects = flow.handle(event)
            reached = (*path, event)
            for transition in fired:
                result.fired.setdefault(transition, reached)
            result.prompts.extend(effect for effect in effects if isinstance(effect, ShowPrompt))
            key = key_of(flow)
            if key not in result.paths:
                result.paths[key] = reached
                queue.append((flow.to_json(), reached))
    return result
