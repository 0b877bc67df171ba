"""The acquirer: its link, the fault in force and the overrides; the common faults, latencies and
response-code overrides one key away, and a line for any of its commands (`help` lists them)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from simulator.app.messages import Logged, StepRequested
from simulator.host.control import HELP
from simulator.replay.steps import AcquirerStep

# The commands offered, as the acquirer takes them: what a person staging a failure reaches for.
COMMANDS = (
    "fault drop", "fault blackhole", "fault reset", "fault duplicate", "fault garbage 16", "fault late 35",
    "fault contradict", "fault delay 1500 always", "fault delay 5000 always", "fault clear",
    *(f"rule next 1 {code}" for code in ("51", "54", "05", "14", "91", "96")), "rule clear", "ledger",
)


class Commands(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Run"),
        Binding("l", "link", "Link down/up"),
        Binding("d", "run('fault drop')", "Drop"),
        Binding("c", "run('fault clear')", "Clear fault"),
    ]

    def __init__(self) -> None:
        super().__init__(*(Option(command, id=command) for command in COMMANDS), id="acquirer-commands")
        self.link_up = True

    def action_link(self) -> None:
        self.action_run("link down" if self.link_up else "link up")

    def action_run(self, command: str) -> None:
        self.post_message(StepRequested(AcquirerStep(command)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.action_run(event.option.id)


class AcquirerPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="acquirer-state")
        yield Commands()
        yield Input(id="acquirer-command", compact=True, placeholder="command ⏎ (rule card visa 51, help)")

    def on_mount(self) -> None:
        self.border_title = "Acquirer"
        self.border_subtitle = "⏎ run · l link · d drop · c clear"

    def show(self, text: Text, link_up: bool) -> None:
        self.query_one("#acquirer-state", Static).update(text)
        self.query_one(Commands).link_up = link_up

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        command = " ".join(event.value.split())
        event.input.value = ""
        if command.lower() == "help":  # not a step: it changes nothing
            for line in HELP.splitlines():
                self.post_message(Logged(None, "acquirer", line))
        elif command:
            self.post_message(StepRequested(AcquirerStep(command)))
