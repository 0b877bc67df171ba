"""The cashier app: the counter screen, the recovery screen that walks the cashier through a failure step by
step, and the contact form.

The app drives a `Counter` that already runs in the same asyncio loop; it never runs or stops it. It
listens on the counter's `on_change` and `on_prompt` (chaining to whatever listened before) and turns each
call into a message to itself, so the counter is never held up by drawing. Screens post what the cashier
asks for (a sale, an action, a contact) as messages too; only this module calls the counter and the stores,
then sets the outcome down on the screens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any, TypeVar

from rich.text import Text
from textual.app import App
from textual.reactive import reactive
from textual.screen import Screen

from agent.cases import CaseError, CaseStore
from agent.contacts import Contact, ContactFormError, ContactStore
from agent.counter import Counter
from agent.counter import Screen as CounterState
from agent.flowstore import FINISHED
from agent.ui.desk import Desk, Matter
from agent.ui.labels import label
from agent.ui.messages import ActionRequested, ContactSubmitted, CounterChanged, PromptShown, SaleRequested
from agent.ui.sanitise import sanitise
from agent.ui.screens import ContactScreen, CounterScreen, PaymentScreen, RecoveryScreen
from agent.ui.view import (
    EntryProblem,
    contact_summary,
    paused_text,
    render,
    sale_entry,
    show_fact,
    status_text,
)
from agent.ui.widgets import StatusBar
from domain.effects import ShowPrompt
from flows.prompts import DEFAULT_LANGUAGE, LANGUAGES

S = TypeVar("S", bound=Screen)
STATUS_EVERY = 1.0  # seconds between redraws of the status line (the round-trip time changes unannounced)


class CashierApp(App[None]):
    CSS_PATH = "cashier.tcss"
    TITLE = "recoup"
    ENABLE_COMMAND_PALETTE = False

    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)

    def __init__(self, counter: Counter, *, contacts: ContactStore, cases: CaseStore,
                 language: str = DEFAULT_LANGUAGE, tz: tzinfo | None = None) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no cashier screens in language {language!r}; available: {', '.join(LANGUAGES)}")
        super().__init__()
        self.counter = counter
        self.contacts = contacts
        self.cases = cases
        self.tz = tz
        self.desk = Desk()
        self.set_reactive(CashierApp.language, language)
        self._listened: tuple[Callable[..., Any] | None, Callable[..., Any] | None] | None = None

    def get_default_screen(self) -> Screen:
        return CounterScreen()

    # -- listening to the counter --------------------------------------------------------------------

    def on_mount(self) -> None:
        self._listen()
        for flow_id, prompt in list(self.counter.screen.prompts.items()):  # flows resumed before the app opened
            self._report_prompt(flow_id, prompt)
        self.post_message(CounterChanged())
        self.set_interval(STATUS_EVERY, self._redraw_status)

    def on_unmount(self) -> None:
        if self._listened is not None:
            self.counter.on_change, self.counter.on_prompt = self._listened
            self._listened = None

    def _listen(self) -> None:
        before_change, before_prompt = self.counter.on_change, self.counter.on_prompt
        self._listened = (before_change, before_prompt)

        def on_change(state: CounterState) -> None:
            if before_change is not None:
                before_change(state)
            self.post_message(CounterChanged())

        def on_prompt(flow_id: str, prompt: ShowPrompt) -> None:
            if before_prompt is not None:
                before_prompt(flow_id, prompt)
            self._report_prompt(flow_id, prompt)

        self.counter.on_change, self.counter.on_prompt = on_change, on_prompt

    def _report_prompt(self, flow_id: str, prompt: ShowPrompt) -> None:
        flow = self.counter.flows.get(flow_id)
        if flow is None:
            self.post_message(PromptShown(flow_id, flow_id.rpartition("-")[0], prompt, None, False))
            return
        sale_id = flow.ctx.sale.sale_id if flow.ctx.sale is not None else None
        self.post_message(PromptShown(flow_id, flow.name, prompt, sale_id, flow.state.name not in FINISHED))

    async def on_prompt_shown(self, message: PromptShown) -> None:
        known = message.flow_id in self.desk.matters
        matter = self.desk.prompted(message.flow_id, message.flow, message.prompt, message.sale_id, message.live)
        focused = self.desk.focused()
        # A recovery comes up when it starts, and again when it needs the cashier while none is on screen;
        # it does not push aside another recovery still going on.
        if matter.is_recovery and (not known or (focused is None and matter.actions)
                                   or (focused is not None and not focused.live)):
            await self._route(arrive=matter)
            return
        if not matter.is_recovery and matter.sale_id is None:  # the link, counter-wide: say so in passing
            self.notify(render(matter.prompt, self.language, self.tz).title)
        await self._route()

    async def on_counter_changed(self, _: CounterChanged) -> None:
        self.desk.sync(set(self.counter.flows))
        await self._route()

    # -- which screen is up --------------------------------------------------------------------------

    async def _route(self, arrive: Matter | None = None) -> None:
        """Bring up the recovery screen for a recovery that needs the cashier, the contact form for a flow
        that asks for one; put them away when their flow has moved on. Then redraw."""
        desk = self.desk
        if isinstance(self.screen, PaymentScreen):  # the cashier is choosing: come back once they have
            self._redraw()
            return
        if arrive is not None:
            desk.focus = arrive.flow_id
        focused = desk.follow()
        if focused is not None and not focused.is_recovery:  # the recovery handed the sale back to the till
            desk.sale_id, desk.focus, focused = focused.sale_id, None, None
        contact = self._screen_of(ContactScreen)
        capturing = self.counter.screen.capturing_contact
        if contact is not None and (focused is None or contact.flow_id != focused.flow_id
                                    or contact.flow_id not in capturing or contact.flow_id in desk.backed_out):
            await self.pop_screen()
            contact = None
        recovery = self._screen_of(RecoveryScreen)
        if focused is None and recovery is not None:
            await self.pop_screen()
        elif focused is not None and recovery is None:
            await self.push_screen(RecoveryScreen())
        if focused is not None and contact is None and focused.flow_id in capturing \
                and focused.flow_id not in desk.backed_out:
            await self.push_screen(ContactScreen(focused.flow_id, capturing[focused.flow_id]))
        self._redraw()

    def _screen_of(self, kind: type[S]) -> S | None:
        return next((screen for screen in self.screen_stack if isinstance(screen, kind)), None)

    def _redraw(self) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_view", None)
            if refresh is not None:
                refresh()

    def _redraw_status(self) -> None:
        for bar in self.screen.query(StatusBar):
            bar.show(self.status())

    def watch_language(self) -> None:
        self._redraw()

    # -- what the screens read ----------------------------------------------------------------------

    def status(self) -> Text:
        round_trip = self.counter.host.round_trip_ms if self.counter.host is not None else None
        return status_text(self.counter.screen, round_trip, self.language)

    def paused(self) -> Text:
        return paused_text(self.counter.screen.card_payments_paused, self.language)

    def contact_line(self, matter: Matter) -> str:
        if matter.contact is not None:
            masked, channel = matter.contact
            shown = " · ".join([*masked, label(f"channel.{channel}", self.language)])
            return label("recovery.contact", self.language, contact=shown)
        if matter.declined:
            return label("recovery.contact_declined", self.language)
        return ""

    def case_line(self, matter: Matter) -> str:
        """The case the flow opened, if it did (its id is the flow's)."""
        try:
            case = self.cases.get(matter.flow_id)
        except CaseError:
            return ""
        if case.state != "open":
            return label("recovery.case_closed", self.language, case_id=sanitise(case.case_id, single_line=True))
        due = show_fact(case.next_followup, self.tz) if case.next_followup is not None else "—"
        return label("recovery.case", self.language, case_id=sanitise(case.case_id, single_line=True),
                     state=sanitise(case.state, single_line=True), next=due)

    # -- what the cashier asks for ------------------------------------------------------------------

    def on_sale_requested(self, message: SaleRequested) -> None:
        screen = self._screen_of(CounterScreen)
        assert screen is not None
        try:
            amount, reference = sale_entry(message.amount, message.reference, self.language)
        except EntryProblem as problem:
            screen.show_problem(str(problem))
            return
        sale_id = self.counter.start_sale(amount, reference)
        self.desk.sale_started(sale_id)
        screen.sale_started()
        self._redraw()

    async def on_action_requested(self, message: ActionRequested) -> None:
        flow_id, action = message.flow_id, message.action
        if action == "other_payment":
            matter = self.desk.matters.get(flow_id)
            amount = show_fact(matter.prompt.facts.get("amount", ""), self.tz) if matter is not None else ""
            await self.push_screen(PaymentScreen(amount),
                                   lambda method: self._act(flow_id, action, method=method) if method else None)
            return
        if action == "contact_saved":  # the form saves it; this key opens the form again
            self.desk.backed_out.discard(flow_id)
            await self._route()
            return
        if self._act(flow_id, action) and action == "contact_declined":
            matter = self.desk.matters.get(flow_id)
            if matter is not None:
                matter.declined = True
            self._redraw()

    def on_contact_submitted(self, message: ContactSubmitted) -> None:
        form = self._screen_of(ContactScreen)
        try:
            contact_id = self.contacts.record(**message.fields, case_id=message.flow_id)
        except ContactFormError as exc:
            if form is not None:
                form.show_errors({error.field: sanitise(error.reason, single_line=True) for error in exc.errors})
            return
        found = self.contacts.get(contact_id)
        matter = self.desk.matters.get(message.flow_id)
        if matter is not None and isinstance(found, Contact):
            matter.contact = contact_summary(found)
        self._act(message.flow_id, "contact_saved", contact_id=contact_id)

    def _act(self, flow_id: str, action: str, **data: Any) -> bool:
        try:
            self.counter.act(flow_id, action, **data)
        except (KeyError, ValueError) as exc:
            self._problem(label("sale.not_done", self.language, problem=sanitise(exc, single_line=True)))
            return False
        return True

    def _problem(self, text: str) -> None:
        show = getattr(self.screen, "show_problem", None)
        if show is not None:
            show(text)

    # -- keys everywhere ----------------------------------------------------------------------------

    def action_toggle_language(self) -> None:
        self.language = LANGUAGES[(LANGUAGES.index(self.language) + 1) % len(LANGUAGES)]

    async def action_recovery(self) -> None:
        """Open the recovery screen, or on it go to the next open recovery."""
        if self._screen_of(RecoveryScreen) is None and self.desk.focused() is None:
            found = self.desk.recoveries()
            self.desk.focus = found[0].flow_id if found else None
        else:
            self.desk.next_recovery()
        if self.desk.focus is not None:
            self.desk.backed_out.discard(self.desk.focus)
        await self._route()

    async def action_till(self) -> None:
        self.desk.leave_recovery()
        await self._route()

    async def action_close_contact(self) -> None:
        form = self._screen_of(ContactScreen)
        if form is not None:
            self.desk.backed_out.add(form.flow_id)
        await self._route()
