"""The simulator app: one session of the agent on the virtual devices, on panels for a person who plays the
cashier, the customer and the hardware at once.

Only this module talks to the session. Panels post what the person asks for (a step, an amount, an action,
a contact); the session does it through the replay engine and reports back, as messages, what the agent
and the devices did; the app keeps the cashier's `Desk` from the prompts — as the cashier app does — and
sets the state down on the panels once a job has settled. The cashier's forms (the contact form, the
choice of another way to pay) are the cashier app's own screens.
"""

from __future__ import annotations

from datetime import tzinfo
from importlib import resources
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.reactive import reactive
from textual.screen import Screen

from agent.contacts import ContactForm
from agent.ui.desk import Desk
from agent.ui.messages import ActionRequested, ContactSubmitted, PromptShown, SaleRequested
from agent.ui.screens import ContactScreen, PaymentScreen
from agent.ui.view import EntryProblem, sale_entry, show_fact
from domain.effects import ShowPrompt
from flows.prompts import DEFAULT_LANGUAGE, LANGUAGES
from simulator.app.messages import (
    AgentRestarted,
    Broke,
    Logged,
    Printed,
    SessionBegan,
    Settled,
    Stepped,
    StepRequested,
    TypedStep,
)
from simulator.app.screens import LoadScreen, SimScreen
from simulator.app.session import BY_HAND, Session
from simulator.app.typed import TypedStepError, typed_step
from simulator.app.widgets import CashierPanel, PaperRoll, StepsPanel
from simulator.printer.device import PrintedReceipt
from simulator.replay.checks import latest_sale
from simulator.replay.engine import StepResult
from simulator.replay.scenario import Scenario
from simulator.replay.steps import CONTACT_FIELDS, AdvanceStep, RestartStep, SaleStep

CASHIER_CSS = Path(str(resources.files("agent.ui").joinpath("cashier.tcss")))  # the cashier's own look


class SimApp(App[None]):
    CSS_PATH: ClassVar = [CASHIER_CSS, "sim.tcss"]
    TITLE = "recoup sim"
    ENABLE_COMMAND_PALETTE = False

    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)

    def __init__(self, *, scenario: Scenario | None = None, record: Path | None = None,
                 language: str = DEFAULT_LANGUAGE) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no cashier screens in language {language!r}; available: {', '.join(LANGUAGES)}")
        super().__init__()
        self.set_reactive(SimApp.language, language)
        self.session = Session(_Watcher(self), record=record)
        self.desk = Desk()
        self.first = scenario
        self.tz: tzinfo | None = (scenario or BY_HAND).start.tzinfo  # the counter's zone: the scenario's
        self.loaded_from = str(scenario.path) if scenario is not None else ""
        self.by_hand = True  # the last step was the person's, not the loaded scenario's

    def get_default_screen(self) -> Screen:
        return SimScreen()

    def start(self) -> None:
        """The panels are up: bring the agent up on its devices (the main screen calls this once mounted)."""
        self.session.open(self.first)

    async def on_unmount(self) -> None:
        await self.session.close()

    @property
    def main(self) -> SimScreen:
        return next(screen for screen in self.screen_stack if isinstance(screen, SimScreen))

    # -- what the session reports --------------------------------------------------------------------

    async def on_session_began(self, message: SessionBegan) -> None:
        self.desk = Desk()
        self.tz = message.scenario.start.tzinfo
        self.main.query_one(PaperRoll).clear()
        where = message.scenario.title if message.scenario.steps else "by hand"
        self.main.add_log(None, "sim", f"— a fresh agent on fresh devices: {where} —")
        await self._close_forms()

    async def on_agent_restarted(self, _: AgentRestarted) -> None:
        self.desk = Desk()  # a new agent shows only what it resumed
        await self._close_forms()

    def on_prompt_shown(self, message: PromptShown) -> None:
        known = message.flow_id in self.desk.matters
        matter = self.desk.prompted(message.flow_id, message.flow, message.prompt, message.sale_id, message.live)
        focused = self.desk.focused()
        # As the cashier app does: a recovery comes up when it starts, and again when it needs the cashier
        # while none is being worked on; it does not push aside another recovery still going on.
        if matter.is_recovery and (not known or (focused is None and matter.actions)
                                   or (focused is not None and not focused.live)):
            self.desk.focus = matter.flow_id

    def on_printed(self, message: Printed) -> None:
        self.main.query_one(PaperRoll).add(message.receipt)

    def on_logged(self, message: Logged) -> None:
        self.main.add_log(message.at, message.source, message.text)

    def on_stepped(self, message: Stepped) -> None:
        self.by_hand = message.index is None
        if message.result.ok and isinstance(message.result.step, SaleStep):
            station = self.session.station
            sale = latest_sale(station.journal) if station is not None else None
            if sale is not None:
                focused = self.desk.focused()
                if focused is not None and not focused.live:
                    self.desk.leave_recovery()  # a new sale: the finished recovery is put away
                self.desk.sale_started(sale)

    async def on_settled(self, _: Settled) -> None:
        if not self.session.busy:
            await self._route()
        self.main.refresh_view()

    def on_broke(self, message: Broke) -> None:
        for line in message.problem.rstrip().splitlines():
            self.main.add_log(None, "sim", line)
        self.notify("The replay broke: see the event log. Load a scenario (^O) to start afresh.", severity="error")

    # -- the cashier's forms -------------------------------------------------------------------------

    async def _route(self, ask: bool = False) -> None:
        """The contact form comes up when the recovery being worked on asks for the customer's details after a
        step done by hand (a scenario's step is followed by its own `contact` step), or when asked for (`ask`:
        the prompt's contact key); it goes away once the flow no longer asks."""
        station = self.session.station
        if station is None:
            return
        focused = self.desk.follow()
        capturing = station.counter.screen.capturing_contact
        form = next((s for s in self.screen_stack if isinstance(s, ContactScreen)), None)
        wanted = focused is not None and focused.flow_id in capturing and focused.flow_id not in self.desk.backed_out
        if form is not None and (not wanted or focused is None or form.flow_id != focused.flow_id):
            await self._pop(form)
            form = None
        choosing = isinstance(self.screen, PaymentScreen | LoadScreen)
        if wanted and form is None and (ask or self.by_hand) and not choosing:
            assert focused is not None
            await self.push_screen(ContactScreen(focused.flow_id, capturing[focused.flow_id]))

    async def _pop(self, screen: Screen) -> None:
        while screen in self.screen_stack:
            await self.pop_screen()

    async def _close_forms(self) -> None:
        while isinstance(self.screen, ContactScreen | PaymentScreen):
            await self.pop_screen()

    # -- what the person asks for --------------------------------------------------------------------

    def on_step_requested(self, message: StepRequested) -> None:
        self.session.submit(message.step)

    def on_typed_step(self, message: TypedStep) -> None:
        panel = self.main.query_one(StepsPanel)
        try:
            step = typed_step(message.text)
        except TypedStepError as exc:
            panel.show_problem(str(exc))
            return
        panel.typed()
        self.session.submit(step)

    def on_sale_requested(self, message: SaleRequested) -> None:
        panel = self.main.query_one(CashierPanel)
        try:
            amount, reference = sale_entry(message.amount, message.reference, self.language)
        except EntryProblem as problem:
            panel.show_problem(str(problem))
            return
        panel.sale_started()
        self.session.submit(SaleStep(amount, reference))

    async def on_action_requested(self, message: ActionRequested) -> None:
        flow_id, action = message.flow_id, message.action
        if action == "other_payment":
            matter = self.desk.matters.get(flow_id)
            amount = show_fact(matter.prompt.facts.get("amount", ""), self.tz) if matter is not None else ""
            await self.push_screen(PaymentScreen(amount),
                                   lambda method: self.session.act(flow_id, action, method) if method else None)
        elif action == "contact_saved":  # the form saves it; this key opens the form again
            self.desk.backed_out.discard(flow_id)
            await self._route(ask=True)
        elif action == "contact_declined":
            self.desk.backed_out.add(flow_id)
            await self._close_forms()
            self.session.contact(flow_id, ())
        else:
            self.session.act(flow_id, action)

    async def on_contact_submitted(self, message: ContactSubmitted) -> None:
        form = next((s for s in self.screen_stack if isinstance(s, ContactScreen)), None)
        station = self.session.station
        region = station.contacts.region if station is not None else "CN"
        errors = ContactForm(**message.fields).errors(region)
        if errors:
            if form is not None:
                form.show_errors(errors)
            return
        fields = message.fields
        details = tuple((name, "true" if name == "consent" else str(fields[name])) for name in CONTACT_FIELDS
                        if fields.get(name) not in (None, "", False))
        self.desk.backed_out.add(message.flow_id)  # taken: the form stays closed while the step runs
        if form is not None:
            await self._pop(form)
        self.session.contact(message.flow_id, details)

    # -- keys ----------------------------------------------------------------------------------------

    def action_next_step(self) -> None:
        self.session.next()

    def action_run_to_end(self) -> None:
        self.session.run_to_end()

    def action_expect(self) -> None:
        self.session.expect()

    def action_advance(self, seconds: float) -> None:
        self.session.submit(AdvanceStep(float(seconds)))

    def action_restart(self) -> None:
        self.session.submit(RestartStep())

    async def action_load(self) -> None:
        def loaded(scenario: Scenario | None) -> None:
            if scenario is not None:
                self.loaded_from = str(scenario.path)
                self.session.load(scenario)

        session = self.session
        recording = f"{session.record} ({len(session.taken)} steps)" if session.record and session.taken else ""
        await self.push_screen(LoadScreen(self.loaded_from, recording), loaded)

    def action_toggle_language(self) -> None:
        self.language = LANGUAGES[(LANGUAGES.index(self.language) + 1) % len(LANGUAGES)]

    def watch_language(self) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_view", None)
            if refresh is not None:
                refresh()

    async def action_recovery(self) -> None:
        self.desk.next_recovery()
        if self.desk.focus is not None:
            self.desk.backed_out.discard(self.desk.focus)
        await self._route(ask=True)
        self.main.refresh_view()

    async def action_close_contact(self) -> None:
        """Esc on the contact form: back to the panels; the prompt's contact key opens it again."""
        form = next((s for s in self.screen_stack if isinstance(s, ContactScreen)), None)
        if form is not None:
            self.desk.backed_out.add(form.flow_id)
            await self._pop(form)


class _Watcher:
    """The session's reports, as messages to the app: the agent is never held up by drawing."""

    def __init__(self, app: SimApp) -> None:
        self.app = app

    def began(self, scenario: Scenario) -> None:
        self.app.post_message(SessionBegan(scenario))

    def restarted(self) -> None:
        self.app.post_message(AgentRestarted())

    def prompted(self, flow_id: str, flow: str, prompt: ShowPrompt, sale_id: str | None, live: bool) -> None:
        self.app.post_message(PromptShown(flow_id, flow, prompt, sale_id, live))

    def printed(self, receipt: PrintedReceipt) -> None:
        self.app.post_message(Printed(receipt))

    def line(self, at: float, source: str, text: str) -> None:
        self.app.post_message(Logged(at, source, text))

    def stepped(self, result: StepResult, index: int | None) -> None:
        self.app.post_message(Stepped(result, index))

    def done(self) -> None:
        self.app.post_message(Settled())

    def broke(self, problem: str) -> None:
        self.app.post_message(Broke(problem))
