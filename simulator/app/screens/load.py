"""Load a scenario: a path typed (or a file of the scenario library chosen), checked whole by the loader
before the session starts afresh on it; what is wrong is said under the path, naming line, step and key."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from simulator.replay.runner import scenario_files
from simulator.replay.scenario import Scenario, ScenarioError, load

LIBRARY = Path("scenarios")  # the scenario library, when the simulator runs beside it


class LoadScreen(ModalScreen[Scenario | None]):
    """Dismissed with the scenario loaded, or None when the person goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, path: str = "", recording: str = "") -> None:
        super().__init__()
        self.path = path
        self.recording = recording  # the recording under way, to say it starts afresh too
        self.library = scenario_files([LIBRARY]) if LIBRARY.is_dir() else []

    def compose(self) -> ComposeResult:
        with Vertical(id="load"):
            title = Text("Load a scenario: the agent, the devices and the clock start afresh", style="bold")
            if self.recording:
                title.append(f"\nand so does the recording: {self.recording} will hold the new session only",
                             style="bold red")
            yield Static(title)
            yield Input(self.path, id="path", compact=True, placeholder="path to a scenario file (.yaml) ⏎")
            yield Static(id="load-problem")
            yield OptionList(*(Option(str(path), id=str(path)) for path in self.library), id="library")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#library").display = bool(self.library)
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._load(event.value.strip())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.query_one("#path", Input).value = event.option.id
            self._load(event.option.id)

    def _load(self, path: str) -> None:
        problem = self.query_one("#load-problem", Static)
        if not path:
            problem.update(Text("type the path of a scenario file", style="bold red"))
            return
        try:
            scenario = load(Path(path))
        except ScenarioError as exc:
            problem.update(Text(str(exc), style="bold red"))
            return
        self.dismiss(scenario)
