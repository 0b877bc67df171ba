"""The simulator's one screen: the agent's cashier screen beside the card reader, the printer and its paper,
the acquirer; the steps and the event log below; the clock and the recording on the top line; every key
that works, on the bottom lines.

It is the cashier's screen too: the keys of the recovery actions on the prompts (F1…F11, Esc, from
prompts.toml) are bound here, named in the cashier's language, beside the simulator's own. Every such key is
bound once per language, and `check_action` lets through those of the cashier's language that a prompt on
the panel offers now — the footer shows exactly what a key will do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from agent.ui.desk import Matter
from agent.ui.labels import label
from agent.ui.messages import ActionRequested
from agent.ui.view import textual_key
from flows.prompts import LANGUAGES, catalogue
from simulator.app.view import acquirer_text, cashier_view, clock_text, printer_text, printer_title, step_rows
from simulator.app.widgets import (
    AcquirerPanel,
    CashierPanel,
    EventLog,
    KeysBar,
    PaperRoll,
    PrinterPanel,
    ReaderPanel,
    StepsPanel,
)

if TYPE_CHECKING:
    from simulator.app.app import SimApp


def _cashier_keys() -> list[BindingType]:
    """Each action's key, and the language key, once per language, named in it."""
    actions = [Binding(textual_key(action.key), f"flow_action({name!r}, {language!r})", action.labels[language],
                       key_display=action.key)
               for name, action in catalogue().actions.items() for language in LANGUAGES]
    return [*actions,
            *(Binding("ctrl+r", f"recovery({language!r})", label("recovery.next", language), key_display="^R",
                      priority=True) for language in LANGUAGES),
            *(Binding("f12", f"language({language!r})", label("app.language", language), key_display="F12")
              for language in LANGUAGES)]


class SimScreen(Screen[None]):
    # Control keys, so they work from any field; none that a text field uses for editing.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "app.next_step", "Next step", key_display="^N", priority=True),
        Binding("ctrl+g", "app.run_to_end", "Run to end", key_display="^G", priority=True),
        Binding("ctrl+o", "app.load", "Load", key_display="^O", priority=True),
        Binding("ctrl+y", "app.expect", "Expect as now", key_display="^Y", priority=True),
        Binding("ctrl+f", "app.advance(5)", "+5 s", key_display="^F", priority=True),
        Binding("ctrl+t", "app.advance(30)", "+30 s", key_display="^T", priority=True),
        Binding("ctrl+b", "app.advance(300)", "+5 min", key_display="^B", priority=True),
        Binding("ctrl+p", "app.restart", "Restart agent", key_display="^P", priority=True),
        Binding("ctrl+l", "focus('amount')", "Amount", key_display="^L", priority=True),
        Binding("ctrl+s", "focus('typed-step')", "Type a step", key_display="^S", priority=True),
        Binding("ctrl+q", "app.quit", "Quit", key_display="^Q", priority=True),
        *_cashier_keys(),
    ]
    ready = False
    keyed: tuple[Matter, ...] = ()  # the matters on the cashier's panel whose action keys are live

    @property
    def sim(self) -> SimApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="sim-header")
        with Horizontal(id="top"):
            yield CashierPanel(classes="panel")
            with Vertical(id="devices"):
                yield ReaderPanel(classes="panel")
                yield PrinterPanel(classes="panel")
                yield AcquirerPanel(classes="panel")
            yield PaperRoll(classes="panel")
        with Horizontal(id="bottom"):
            yield StepsPanel(classes="panel")
            yield EventLog(id="log", classes="panel")
        yield KeysBar(id="keys")

    def on_mount(self) -> None:
        self.ready = True
        self.query_one("#amount", Input).focus()
        self.sim.start()

    def action_focus(self, field: str) -> None:
        self.query_one(f"#{field}", Input).focus()

    # -- drawn from the session ----------------------------------------------------------------------

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, session = self.sim, self.sim.session
        self.query_one("#sim-header", Static).update(self._header())
        scenario = session.scenario
        title = f"Steps · {scenario.path}" if scenario.steps else "Steps · by hand"
        follow = f"ran-{session.ran[-1][0].number}" if session.ran else f"todo-{session.cursor}"
        self.query_one(StepsPanel).show(title, step_rows(session.ran, scenario.steps[session.cursor:],
                                                         session.cursor), follow)
        station = session.station
        if station is None:
            return
        language, sim = app.language, station.sim
        view = cashier_view(app.desk, station.counter, language, app.tz)
        self.query_one(CashierPanel).show(view, language)
        self.query_one(PrinterPanel).show(printer_text(sim.printer), frozenset(sim.printer.conditions),
                                          sim.printer.silent, printer_title(sim.printer))
        self.query_one(AcquirerPanel).show(acquirer_text(sim.acquirer), not sim.acquirer.refusing)
        self.keyed = view.keyed
        self.refresh_bindings()

    # -- the cashier's keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "flow_action":
            name, language = parameters
            return language == self.sim.language and self._offering(str(name)) is not None
        if action == "recovery":
            return parameters[0] == self.sim.language and len(self.sim.desk.recoveries()) > 1
        if action == "language":
            return parameters[0] == self.sim.language
        return True

    def _offering(self, action: str) -> Matter | None:
        """The matter whose prompt offers the action: the recovery being worked on before the till's sale."""
        return next((matter for matter in self.keyed if action in matter.actions), None)

    def action_flow_action(self, action: str, _language: str) -> None:
        matter = self._offering(action)
        if matter is not None:
            self.post_message(ActionRequested(matter.flow_id, action))

    async def action_recovery(self, _language: str) -> None:
        await self.sim.action_recovery()

    def action_language(self, _language: str) -> None:
        self.sim.action_toggle_language()

    def _header(self) -> Text:
        app, session = self.sim, self.sim.session
        text = Text(" recoup sim ", style="reverse bold")
        text.append("  ")
        scenario = session.scenario
        text.append(scenario.path.name if scenario.steps else "by hand", style="bold")
        if scenario.steps:
            text.append(f" {session.cursor}/{len(scenario.steps)}")
        if session.replay is not None:
            text.append("   ")
            text.append_text(clock_text(session.replay.clock, app.tz))
        if session.record is not None:
            text.append("   ● REC ", style="bold red")
            text.append(f"{session.record.name} ({len(session.taken)} steps)")
        if session.broken is not None:
            text.append("   the replay broke: load a scenario (^O) to start afresh", style="bold red")
        return text

    # -- set down by the app ---------------------------------------------------------------------------

    def add_log(self, at: float | None, source: str, text: str) -> None:
        self.query_one(EventLog).add(at, source, text)
