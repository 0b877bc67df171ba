"""Messages up: what a panel asks the session for, and what the session reports to the app.

Panels never touch the replay: they post a step, and the app hands it to the session. The session's
reports arrive as messages too, so the agent is never held up by drawing; the app sets the outcome down on
the panels.
"""

from __future__ import annotations

from textual.message import Message

from simulator.printer.device import PrintedReceipt
from simulator.replay.engine import StepResult
from simulator.replay.scenario import Scenario
from simulator.replay.steps import Step


class StepRequested(Message):
    """Do this at a device, or with the clock: a step as a scenario would write it."""

    def __init__(self, step: Step) -> None:
        super().__init__()
        self.step = step


class TypedStep(Message):
    """A step typed on one line, as written in a scenario file (not yet checked)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SessionBegan(Message):
    """A fresh agent and devices, for this scenario (or by hand)."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario


class AgentRestarted(Message):
    """The agent started again on its journal: what it shows now is only what it resumed."""


class Printed(Message):
    def __init__(self, receipt: PrintedReceipt) -> None:
        super().__init__()
        self.receipt = receipt


class Logged(Message):
    """A line for the event log: at (virtual seconds; None for help, which happens at no time), from
    (step, agent, reader, printer, acquirer, sim)."""

    def __init__(self, at: float | None, source: str, text: str) -> None:
        super().__init__()
        self.at = at
        self.source = source
        self.text = text


class Stepped(Message):
    def __init__(self, result: StepResult, index: int | None) -> None:
        super().__init__()
        self.result = result
        self.index = index


class Settled(Message):
    """A job of the session is done and everything it set off has finished: draw the state."""


class Broke(Message):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem
