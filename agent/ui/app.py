"""The cashier app: the counter screen, the recovery screen that walks the cashier through a failure step by
step, the contact form, the recent sales (where a wrong card or an unpaid receipt is reported), and the
manager's cases and follow-ups.

The app drives a `Counter` that already runs in the same asyncio loop; it never runs or stops it. It
listens on the counter's `on_change` and `on_prompt` (chaining to whatever listened before) and turns each
call into a message to itself, so the counter is never held up by drawing. Screens post what the cashier
asks for (a sale, an action, a contact, a report, a contact attempt) as messages too; only this module calls
the counter and the stores, then sets the outcome down on the screens.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable
from datetime import datetime, time, tzinfo
from functools import partial
from typing import Any, TypeVar

from rich.text import Text
from textual.app import App
from textual.reactive import reactive
from textual.screen import Screen

from agent.cases import Case, CaseAlreadyClosed, CaseError, CaseInputError, CaseNotFound, CaseRow, CaseStore, checks
from agent.config import Settings
from agent.contacts import Contact, ContactFormError, ContactKeyError, ContactStore, ContactUnavailable, Declined
from agent.counter import Counter, CounterRefused
from agent.counter import Screen as CounterState
from agent.flowstore import FINISHED
from agent.late_payment import NotOwed, record_late_payment
from agent.notify import UNKNOWN, Notifier, NotifyError
from agent.notify.history import history_of, read_draft
from agent.notify.sender import unknown_refusal
from agent.settle.at_counter import CounterEndOfDay, SettleRefused
from agent.ui.desk import Desk, Matter
from agent.ui.labels import label, named
from agent.ui.messages import (
    ActionRequested,
    CaseChosen,
    CaseFormSubmitted,
    ContactSubmitted,
    CounterChanged,
    PromptShown,
    SaleReported,
    SaleRequested,
)
from agent.ui.outbox import CaseMessage, said_recorded, said_sending, said_sent
from agent.ui.reasons import (
    case_problem,
    case_refused,
    contact_unreadable,
    counter_problem,
    notify_problem,
    payment_problem,
)
from agent.ui.sales import SaleLine, recent_sales
from agent.ui.sanitise import sanitise
from agent.ui.screens import (
    CaseFormScreen,
    CaseScreen,
    CasesScreen,
    ContactScreen,
    CounterScreen,
    FollowupsScreen,
    PaymentScreen,
    RecoveryScreen,
    SalesScreen,
)
from agent.ui.screens.end_of_day import EndOfDayScreen, SettlementPrompted, SettleRequested, settle_problem
from agent.ui.screens.resend import ResendScreen
from agent.ui.view import (
    EntryProblem,
    contact_summary,
    local_zone,
    paused_text,
    render,
    sale_entry,
    show_fact,
    status_text,
    till_receipt,
)
from agent.ui.widgets import StatusBar
from domain.effects import ShowPrompt
from flows.prompts import DEFAULT_LANGUAGE, LANGUAGES

S = TypeVar("S", bound=Screen)
Said = Callable[[str], str]  # a line for the screen, in the language given
STATUS_EVERY = 1.0  # seconds between redraws of the status line (the round-trip time changes unannounced)
# Screens opened from the counter screen to look things up; "back to the till" closes them.
SIDE_SCREENS = (SalesScreen, CasesScreen, FollowupsScreen, CaseScreen, CaseFormScreen, ResendScreen)


def login_name() -> str:
    """Who records an attempt or closes a case, until they type their own name: this PC's login."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cashier"


class CashierApp(App[None]):
    CSS_PATH = "cashier.tcss"
    TITLE = "recoup"
    ENABLE_COMMAND_PALETTE = False

    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)

    def __init__(self, counter: Counter, *, contacts: ContactStore, cases: CaseStore,
                 language: str = DEFAULT_LANGUAGE, tz: tzinfo | None = None, operator: str | None = None,
                 settings: Settings | None = None) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no cashier screens in language {language!r}; available: {', '.join(LANGUAGES)}")
        super().__init__()
        self.counter = counter
        self.contacts = contacts
        self.cases = cases
        self.tz = tz
        self.operator = operator or login_name()  # the name a contact attempt or a closing is recorded under
        self.settings = settings or Settings()  # the shop and its paper, as an evidence package re-prints them
        self.desk = Desk()
        self._notifier: Notifier | None = None  # built on first use: the counter may be handed in later
        self.sending: dict[int, str | None] = {}  # messages on their way from here: draft id -> channel
        self.settlement_prompt: ShowPrompt | None = None  # the end of day's latest, kept once it has ended
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
            self._in_passing(render(matter.prompt, self.language, self.tz).title)
        await self._route()

    def _in_passing(self, said: str) -> None:
        """One notice at a time, and only at the till: a link that comes and goes must not pile notices over
        a recovery's steps, where the banner already says whether card payments are paused."""
        self.clear_notifications()
        if isinstance(self.screen, CounterScreen):
            self.notify(said)

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
        return paused_text(self.counter.screen.card_payments_paused is not None, self.counter.pause_cause,
                           self.language)

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
                     state=label("cases.state_open", self.language), next=due)

    def till_line(self, matter: Matter) -> str:
        """What the till shows while a recovery is on screen, when it is another sale (the right card's)."""
        current = self.desk.current_sale()
        if current is None or current.sale_id == matter.sale_id:
            return ""
        return label("recovery.till", self.language, prompt=render(current.prompt, self.language, self.tz).title)

    def recent_sales(self) -> list[SaleLine]:
        live = {flow.ctx.sale.sale_id for flow in self.counter.flows.values() if flow.ctx.sale is not None}
        return recent_sales(self.counter.journal, live)

    def case_rows(self, state: str | None, overdue: bool, case_type: str | None) -> list[CaseRow]:
        return self.cases.list(state, overdue, case_type)

    def case_types(self) -> tuple[str, ...]:
        return self.cases.case_types()

    def followup_rows(self, today_only: bool) -> tuple[list[CaseRow], datetime]:
        """The open cases by next follow-up, overdue first: those due by the end of today (in the app's zone),
        or all of them; and the moment 'today' ends."""
        zone = local_zone(self.tz)
        today = self.counter.clock.now().astimezone(zone).date()
        end = datetime.combine(today, time.max, tzinfo=zone)
        return self.cases.followups(until=end if today_only else None), end

    def case(self, case_id: str) -> Case:
        return self.cases.get(case_id)

    def case_contact(self, case: Case) -> str:
        """The case's contact as the manager may see it: masked, with the channel the customer prefers."""
        if case.contact_id is None:
            return label("case.contact_none", self.language)
        try:
            found = self.contacts.get(case.contact_id)
        except (ContactUnavailable, ContactKeyError) as exc:
            return label("case.contact_hidden", self.language, contact_id=sanitise(case.contact_id, single_line=True),
                         reason=contact_unreadable(exc, self.language))
        if isinstance(found, Contact):
            masked, channel = contact_summary(found)
            return " · ".join([*masked, label(f"channel.{channel}", self.language)])
        if isinstance(found, Declined):
            return label("case.contact_declined", self.language)
        return label("case.contact_purged", self.language)

    def preferred_channel(self, case: Case) -> str | None:
        """The channel the customer asked to be contacted on, to start the attempt form with."""
        if case.contact_id is None:
            return None
        try:
            found = self.contacts.get(case.contact_id)
        except (ContactUnavailable, ContactKeyError):
            return None
        return found.details.channel.value if isinstance(found, Contact) else None

    # -- a case's messages to the customer ----------------------------------------------------------

    @property
    def notifier(self) -> Notifier:
        """The outbox's sender, as `recoup outbox` builds it: the config's [notify] settings (nothing is sent
        by itself until a relay or gateway is set), the counter's journal and clock."""
        if self._notifier is None:
            self._notifier = Notifier(self.counter.journal, self.counter.clock, self.contacts, self.settings.notify)
        return self._notifier

    def case_messages(self, case_id: str) -> list[CaseMessage]:
        """The case's drafts, oldest first, each with what sending it now would do (and its exact text)."""
        notifier = self.notifier
        return [CaseMessage(row, notifier.preview(row.draft_id)) for row in notifier.drafts()
                if row.case_id == case_id]

    def send_message(self, case_id: str, draft_id: int, channel: str | None, *, again: bool = False) -> None:
        """Send by the channel configured for it, on a worker thread: a relay or gateway may take seconds to
        answer, or its timeout to run out, and the till must not freeze meanwhile."""
        if draft_id in self.sending:
            return
        self.sending[draft_id] = channel
        self._message_done(case_id, said_sending(draft_id, channel), "")
        self.run_worker(self._send(case_id, draft_id, again), group="outbox")

    async def _send(self, case_id: str, draft_id: int, again: bool) -> None:
        done: Said | None = None
        problem = ""
        try:
            result = await asyncio.to_thread(self.notifier.send, draft_id, who=self.operator, again=again)
        except NotifyError as exc:
            problem = label("app.not_done", self.language, problem=notify_problem(exc, self.language, self.tz))
        except ContactKeyError as exc:
            problem = label("app.not_done", self.language, problem=contact_unreadable(exc, self.language))
        else:
            said = said_sent(result, self.tz)
            if result.state in ("sent", "outbox"):
                done = said
            else:
                problem = said(self.language)
        finally:
            self.sending.pop(draft_id, None)
        self._message_done(case_id, done, problem)

    def record_message(self, case_id: str, draft_id: int, outcome: str, *, channel: str | None = None,
                       who: str | None = None) -> str:
        """Record what a person did with a message, or what the customer said of a delivery left unknown, as
        `recoup outbox record` does; the refusal in the manager's words, if any."""
        try:
            result = self.notifier.record(draft_id, outcome, who=who or self.operator, channel=channel)
        except NotifyError as exc:
            problem = label("app.not_done", self.language, problem=notify_problem(exc, self.language, self.tz))
        except ContactKeyError as exc:
            problem = label("app.not_done", self.language, problem=contact_unreadable(exc, self.language))
        else:
            if result.state != "refused":
                self._message_done(case_id, said_recorded(result), "")
                return ""
            problem = said_sent(result, self.tz)(self.language)
        self._message_done(case_id, None, problem)
        return problem

    async def confirm_send_again(self, case_id: str, draft_id: int) -> None:
        """A message whose delivery may have reached the customer goes again only once the manager, told
        what is known of that delivery, confirms."""
        history = history_of(self.counter.journal, read_draft(self.counter.journal, draft_id))
        if history.state != UNKNOWN:
            self._redraw()
            return
        refusal = unknown_refusal(history)

        def confirmed(again: object) -> None:
            if again:
                self.send_message(case_id, draft_id, str(refusal.facts["channel"]), again=True)

        await self.push_screen(ResendScreen(draft_id, refusal.facts), confirmed)

    def _message_done(self, case_id: str, done: Said | None, problem: str) -> None:
        screen = next((screen for screen in self.screen_stack
                       if isinstance(screen, CaseScreen) and screen.case_id == case_id), None)
        if screen is not None:
            screen.show_problem(problem)
            screen.show_done(done)
        self._redraw()

    # -- what the cashier asks for ------------------------------------------------------------------

    def on_sale_requested(self, message: SaleRequested) -> None:
        screen = self._screen_of(CounterScreen)
        assert screen is not None
        if self.counter.settling is not None:  # one link, one queue: the settlement has them until it ends
            screen.show_problem(label("end_of_day.no_sale", self.language))
            return
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
            # On record as the customer's answer, as `recoup contacts` lists it; after the flow has acted, so
            # the case it opened points to it.
            self.contacts.record_declined(case_id=flow_id)
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
                form.show_errors(exc.errors)
            return
        found = self.contacts.get(contact_id)
        matter = self.desk.matters.get(message.flow_id)
        if matter is not None and isinstance(found, Contact):
            matter.contact = contact_summary(found)
        self._act(message.flow_id, "contact_saved", contact_id=contact_id)

    async def on_sale_reported(self, message: SaleReported) -> None:
        """A recent sale reported charged to the wrong card, or its receipt unpaid: the counter starts the
        recovery (the recovery screen comes up with its first prompt), or says why it cannot."""
        screen = self._screen_of(SalesScreen)
        assert screen is not None
        try:
            if message.problem == "wrong_card":
                self.counter.report_wrong_card(message.sale_id)
            else:
                receipt = till_receipt(message.receipt, self.language)
                self.counter.report_unpaid(message.sale_id, receipt_id=receipt)
        except EntryProblem as problem:
            screen.ask_receipt(str(problem))
            return
        except ValueError as exc:  # a refusal in the cashier's words; anything else as it was raised
            said = counter_problem(exc, self.language) if isinstance(exc, CounterRefused) \
                else sanitise(exc, single_line=True)
            problem = label("sales.not_reported", self.language, problem=said)
            line = screen.lines.get(message.sale_id)
            if message.problem == "unpaid" and line is not None and line.receipt_id is None \
                    and not message.receipt.strip():
                screen.ask_receipt(problem)  # the receipt the customer holds is the till's: its number
            else:
                screen.show_problem(problem)
            return
        await self._close_side_screens()

    async def on_case_chosen(self, message: CaseChosen) -> None:
        await self.push_screen(CaseScreen(message.case_id))

    async def on_case_form_submitted(self, message: CaseFormSubmitted) -> None:
        form = self._screen_of(CaseFormScreen)
        fields = message.fields
        problem = ""  # what went wrong after the form was taken
        done: Said | None = None  # what was done, in whichever language is on screen
        try:
            if message.kind == "pay":
                done = self._paid_later(message.case_id, fields["method"], checks.who(fields["who"]))
            elif message.kind == "escalate":
                case = self.cases.escalate(message.case_id, reason=fields["reason"], who=fields["who"])
                done, problem = self._evidence(case)
            elif message.kind == "message":
                assert message.draft_id is not None
                checks.text("outcome", fields["outcome"], limit=checks.LABEL_MAX, required=True)
                refused = self.record_message(message.case_id, message.draft_id, fields["outcome"],
                                              channel=fields["channel"], who=checks.who(fields["who"]))
                if refused:
                    if form is not None:
                        form.show_problem(refused)
                    return
                if isinstance(self.screen, CaseFormScreen):
                    await self.pop_screen()
                return
            elif message.kind == "attempt":
                case = self.cases.record_attempt(message.case_id, channel=fields["channel"],
                                                 outcome=fields["outcome"], who=fields["who"],
                                                 note=fields["note"] or None)
                done = self._said_recorded(case, fields["channel"], fields["outcome"])
            else:
                case = self.cases.close(message.case_id, resolution=fields["resolution"], who=fields["who"],
                                        note=fields["note"] or None)
                done = self._said_closed(case)
        except CaseInputError as exc:
            if form is not None:
                form.show_errors({exc.field: partial(case_problem, exc)})
            return
        except NotOwed as exc:  # the method is the field at fault, or the case as it stands
            if form is not None:
                if exc.code == "no_method":
                    form.show_errors({"method": partial(payment_problem, exc)})
                else:
                    form.show_problem(payment_problem(exc, self.language))
            return
        except CaseError as exc:
            if form is not None:
                form.show_problem(label("app.not_done", self.language, problem=self._case_refused(exc)))
            return
        if isinstance(self.screen, CaseFormScreen):
            await self.pop_screen()
        screen = self._screen_of(CaseScreen)
        if screen is not None:
            screen.show_problem(problem)
            screen.show_done(done)
        self._redraw()

    def _said_recorded(self, case: Case, channel: str, outcome: str) -> Said:
        due = show_fact(case.next_followup, self.tz) if case.next_followup else "—"
        return lambda language: label("case.recorded", language, channel=named("channel", channel, language),
                                      outcome=named("outcome", outcome, language), next=due)

    @staticmethod
    def _said_closed(case: Case) -> Said:
        return lambda language: label("case.closed_now", language,
                                      resolution=named("resolution", case.resolution, language))

    def _paid_later(self, case_id: str, method: str, who: str) -> Said:
        """The customer paid another way than by card: recorded as `recoup cases pay` records it."""
        amount = str(record_late_payment(self.counter.journal, self.counter.outbox, case_id, method, who).amount)
        return lambda language: label("case.paid_now", language, amount=amount,
                                      method=named("payment", method, language))

    def _evidence(self, case: Case) -> tuple[Said | None, str]:
        """After an escalation, its evidence package — as `recoup cases escalate` writes it, without the
        customer's details in clear — beside the journal: what was done, and what went wrong (the escalation
        stands even if the package fails)."""
        # Pillow and the printer's interpreter load only when a package is built, as for the command.
        from agent.evidence import build_evidence
        from simulator.printer.picture import FontError

        out = self.counter.journal.path.parent / "evidence" / f"evidence-{case.case_id}.zip"
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            build_evidence(self.counter.journal, case.case_id, out, columns=self.settings.printer.columns,
                           store=self.settings.store, case_settings=self.cases.settings)
        except (FontError, OSError, ValueError) as exc:
            return None, label("case.evidence_failed", self.language, problem=sanitise(exc, single_line=True))
        count = len(case.escalations)
        return lambda language: label("case.escalated_now", language, count=count, path=str(out)), ""

    def _act(self, flow_id: str, action: str, **data: Any) -> bool:
        try:
            self.counter.act(flow_id, action, **data)
        except (KeyError, ValueError) as exc:  # a refusal in the cashier's words; anything else as it was raised
            said = counter_problem(exc, self.language) if isinstance(exc, CounterRefused) \
                else sanitise(exc, single_line=True)
            self._problem(label("sale.not_done", self.language, problem=said))
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
        await self._route()  # puts the recovery screen away
        await self._close_side_screens()  # and the lists a recovery came up over
        self._redraw()

    async def action_recent_sales(self) -> None:
        await self._open_side(SalesScreen())

    async def action_cases(self) -> None:
        await self._open_side(CasesScreen())

    async def action_followups(self) -> None:
        await self._open_side(FollowupsScreen())

    async def action_back(self) -> None:
        """Close the side screen on top (a case, a form): back to the one it was opened from."""
        if isinstance(self.screen, SIDE_SCREENS):
            await self.pop_screen()
            self._redraw()

    async def action_case_form(self, case_id: str, kind: str, draft_id: int | None = None) -> None:
        try:
            case = self.cases.get(case_id)
        except CaseError as exc:
            self._problem(label("app.not_done", self.language, problem=self._case_refused(exc)))
            return
        await self.push_screen(CaseFormScreen(case.case_id, kind, who=self.operator,
                                              channel=self.preferred_channel(case), draft_id=draft_id))

    def _case_refused(self, error: CaseError) -> str:
        if isinstance(error, CaseNotFound | CaseAlreadyClosed):
            return case_refused(error, self.language, self.tz)
        return sanitise(error, single_line=True)

    async def _open_side(self, screen: Screen) -> None:
        """A list opened from the till, or from another list: it replaces any list already open."""
        await self._close_side_screens()
        await self.push_screen(screen)

    async def _close_side_screens(self) -> None:
        while isinstance(self.screen, SIDE_SCREENS):
            await self.pop_screen()

    async def action_close_contact(self) -> None:
        form = self._screen_of(ContactScreen)
        if form is not None:
            self.desk.backed_out.add(form.flow_id)
        await self._route()

    # -- end of day (结算) ---------------------------------------------------------------------------

    async def action_end_of_day(self) -> None:
        if self._screen_of(EndOfDayScreen) is None:
            await self.push_screen(EndOfDayScreen())

    def on_settle_requested(self, _: SettleRequested) -> None:
        """Settle over the counter's link, or say in the cashier's words why not now."""
        screen = self._screen_of(EndOfDayScreen)
        try:
            settlement = CounterEndOfDay(self.counter, self.settings.host,
                                         on_prompt=lambda prompt: self.post_message(SettlementPrompted(prompt)))
        except SettleRefused as refused:
            if screen is not None:
                screen.show_problem(settle_problem(refused, self.language))
            return
        self.settlement_prompt = None
        self.run_worker(self._settle(settlement), group="end_of_day")
        self._redraw()

    async def _settle(self, settlement: CounterEndOfDay) -> None:
        await settlement.run()
        self._redraw()  # the sale key and the settle key are back

    def on_settlement_prompted(self, message: SettlementPrompted) -> None:
        self.settlement_prompt = message.prompt
        self._redraw()
