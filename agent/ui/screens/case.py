"""One case for the manager: its facts (amount, masked card, sales, the customer's contact masked, the next
follow-up, escalations, how it was closed), its messages to the customer with the exact text of the one
under the cursor, and its attempts log; F2 records a contact attempt, F3 closes it, F4 records that the
customer paid later another way than by card (a case where they owe for the sale), F6 escalates it to the
bank or a legal route and writes its evidence package.

The messages are the outbox's drafts for the case: F7 sends the one under the cursor by e-mail or SMS (off
the event loop: the screen keeps working while the relay answers), F8 records what a person did instead (a
call, a message sent by hand) — the only way when no relay or gateway serves the channel the customer
prefers. A delivery cut off under way (`unknown`) may have reached the customer: F9 and F10 record what they
say of it, and F11 sends it again only once the manager confirms, knowing they may get it twice.

Each form is a modal: the channel, then an outcome among those the channel allows, who made it and a note —
or a resolution, who and a note; how the customer paid and who took it; why it is escalated and who decided.
The same code as `recoup cases` checks and records them; the field it refuses is named inline under it,
with the reason, and a refusal of the whole (the case is still at the counter) on the line below the form.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, Label, Select, Static

from agent.cases import OUTCOMES_BY_CHANNEL, RESOLUTIONS, Case, CaseAlreadyClosed, CaseError, CaseNotFound
from agent.contacts import ContactKeyError
from agent.late_payment import OWED
from agent.ui.labels import label, named
from agent.ui.listing import attempt_cells, attempt_headers, case_facts, case_heading, one_line
from agent.ui.messages import CaseFormSubmitted
from agent.ui.outbox import CaseMessage, draft_cells, draft_headers, message_text
from agent.ui.reasons import case_refused, contact_unreadable
from agent.ui.screens.base import KeyedModal, KeyedScreen, bindings, key
from agent.ui.widgets import FactsView, Listing, MessageView, Notice, StatusBar

NOTE_MAX = 500  # the store keeps at most this much of a note
WHO_MAX = 64
FORMS = {"attempt": ("channel", "outcome", "who", "note"), "close": ("resolution", "who", "note"),
         "pay": ("method", "who"), "escalate": ("reason", "who"), "message": ("channel", "outcome", "who")}
# What a person may have done with a message, by the channel they used (`recoup outbox record`'s outcomes):
# a call is answered or not; a message sent by hand is sent.
BY_HAND = {"phone": ("reached", "no_answer", "busy", "left_message", "wrong_number"),
           "sms": ("sent_by_hand", "wrong_number"), "email": ("sent_by_hand",),
           "wechat": ("sent_by_hand", "reached", "no_answer", "left_message", "wrong_number")}
METHODS = ("cash", "qr", "transfer")  # how a customer pays later, other than by card (a new sale at the till)
CHOICES = {"resolution": ("resolution", RESOLUTIONS), "method": ("payment", METHODS)}  # field -> (labels, values)


class CaseScreen(KeyedScreen):
    BINDINGS = bindings(key("f2", "case_form('attempt')", "case.record", "F2"),
                        key("f3", "case_form('close')", "case.close", "F3"),
                        key("f4", "case_form('pay')", "case.pay", "F4"),
                        key("f6", "case_form('escalate')", "case.escalate", "F6"),
                        key("f7", "send_message", "message.send", "F7"),
                        key("f8", "record_message", "message.record", "F8"),
                        key("f9", "settle_message('received')", "message.received", "F9"),
                        key("f10", "settle_message('not_received')", "message.not_received", "F10"),
                        key("f11", "send_again", "message.again", "F11"),
                        key("escape", "app.back", "app.back", "Esc"))

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.case: Case | None = None  # as last drawn; None when it cannot be found
        self.messages: dict[str, CaseMessage] = {}  # as last drawn, by draft id (the listing's keys)
        self.said: Callable[[str], str] | None = None  # what was just recorded, in the language given

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="heading")
        yield FactsView(id="case-facts")
        yield Static(id="messages-heading")
        yield Listing(id="drafts")
        yield MessageView(id="message")
        yield Static(id="attempts-heading")
        yield Listing(id="attempts")
        yield Static(id="done")
        yield Notice(id="notice")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_first)  # once drawn: whether it has messages is known then

    def _focus_first(self) -> None:
        """The messages, if the case has any (the arrows choose one); else the attempts log."""
        self.query_one("#drafts" if self.messages else "#attempts", Listing).focus()

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, language = self.cashier, self.cashier.language
        self.query_one(StatusBar).show(app.status())
        try:
            case = self.case = app.case(self.case_id)
        except CaseError as exc:
            self.case = None
            problem = case_refused(exc, language, app.tz) if isinstance(exc, CaseNotFound | CaseAlreadyClosed) \
                else one_line(exc)
            self.query_one("#heading", Static).update(Text(label("case.gone", language, problem=problem)))
            self.query_one(FactsView).show(Text())
            self.messages = {}
            for listing in self.query(Listing):
                listing.show((), [])
            self.query_one(MessageView).show(Text())
            self.refresh_bindings()
            return
        self.query_one("#heading", Static).update(case_heading(case, language))
        self.query_one(FactsView).show(case_facts(case, app.case_contact(case), language, app.tz))
        self._draw_messages()
        count = len(case.attempts)
        self.query_one("#attempts-heading", Static).update(Text(
            label("case.attempts", language, count=count) if count else label("case.attempts_none", language),
            style="bold"))
        self.query_one("#attempts", Listing).show(attempt_headers(language), [
            (str(number), attempt_cells(attempt, language, app.tz))
            for number, attempt in reversed(list(enumerate(case.attempts)))])  # the latest first
        done = self.query_one("#done", Static)
        done.update(Text(self.done))
        done.display = bool(self.done)
        self.refresh_bindings()

    def _draw_messages(self) -> None:
        app, language = self.cashier, self.cashier.language
        heading, drafts = self.query_one("#messages-heading", Static), self.query_one("#drafts", Listing)
        try:
            found = app.case_messages(self.case_id)
        except ContactKeyError as exc:  # the customer's details do not open: neither does where a message goes
            found, said = [], label("message.hidden", language, reason=contact_unreadable(exc, language))
        else:
            said = label("message.heading", language, count=len(found)) if found else label("message.none", language)
        self.messages = {str(message.draft_id): message for message in found}
        heading.update(Text(said, style="bold"))
        drafts.show(draft_headers(language), [(key, draft_cells(message, language, message.draft_id in app.sending))
                                              for key, message in self.messages.items()])
        drafts.display = bool(found)
        self._show_message()

    def _show_message(self) -> None:
        chosen = self.chosen_message
        app = self.cashier
        self.query_one(MessageView).show(message_text(chosen, app.language, app.tz) if chosen else Text())

    @property
    def chosen_message(self) -> CaseMessage | None:
        """The message under the cursor of the drafts list."""
        chosen = self.query_one("#drafts", Listing).chosen
        return self.messages.get(chosen) if chosen is not None else None

    def on_data_table_row_highlighted(self, event: Listing.RowHighlighted) -> None:
        if event.data_table.id == "drafts":
            self._show_message()
            self.refresh_bindings()

    def offers(self, action: str, arguments: tuple[object, ...]) -> bool:
        if action in ("send_message", "record_message", "settle_message", "send_again"):
            return self._offers_message(action)
        if action != "case_form":
            return super().offers(action, arguments)
        case, kind = self.case, arguments[0]
        if case is None:
            return False
        if kind == "attempt":
            return True
        return case.state == "open" and (kind != "pay" or case.case_type in OWED)

    def _offers_message(self, action: str) -> bool:
        """Nothing for a message already sent, or on its way from here; F9 to F11 only for one whose delivery
        was cut off (`unknown`); F7 only where a relay or gateway can take it."""
        message = self.chosen_message
        if message is None or message.draft_id in self.cashier.sending or message.state == "sent":
            return False
        if action in ("settle_message", "send_again"):
            return message.state == "unknown"
        return action == "record_message" or not message.by_hand

    async def action_case_form(self, kind: str) -> None:
        await self.cashier.action_case_form(self.case_id, kind)

    def action_send_message(self) -> None:
        message = self.chosen_message
        if message is not None:
            self.cashier.send_message(self.case_id, message.draft_id, message.preview.channel)

    async def action_record_message(self) -> None:
        message = self.chosen_message
        if message is not None:
            await self.cashier.action_case_form(self.case_id, "message", message.draft_id)

    def action_settle_message(self, outcome: str) -> None:
        message = self.chosen_message
        if message is not None:
            self.cashier.record_message(self.case_id, message.draft_id, outcome)

    async def action_send_again(self) -> None:
        message = self.chosen_message
        if message is not None:
            await self.cashier.confirm_send_again(self.case_id, message.draft_id)

    # -- set down by the app ---------------------------------------------------------------------------

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    @property
    def done(self) -> str:
        """What was just recorded, in the cashier's language."""
        return self.said(self.cashier.language) if self.said is not None else ""

    def show_done(self, said: Callable[[str], str] | None) -> None:
        self.said = said
        self.refresh_view()

    @property
    def plain(self) -> str:
        """The case's facts and its attempts as text, for tests and logs."""
        rows = ["  ".join(cells) for cells in self.query_one("#attempts", Listing).plain]
        return "\n".join([self.query_one(FactsView).plain, *rows])


class CaseFormScreen(KeyedModal):
    """Dismissed by the app once the store took it; Esc goes back without saving."""

    BINDINGS = bindings(key("f5", "save", "form.save", "F5", priority=True),
                        key("escape", "app.back", "app.back", "Esc"))

    def __init__(self, case_id: str, kind: str, *, who: str, channel: str | None = None,
                 draft_id: int | None = None) -> None:
        if kind not in FORMS:
            raise ValueError(f"no case form {kind!r}; forms: {', '.join(FORMS)}")
        super().__init__()
        self.case_id = case_id
        self.kind = kind
        self.fields = FORMS[kind]
        self.draft_id = draft_id  # the message a person contacted the customer about ("message")
        self.outcomes = BY_HAND if kind == "message" else OUTCOMES_BY_CHANNEL  # channel -> its outcomes
        self.channels = tuple(self.outcomes)
        self.who = who
        # The customer's preferred channel, else the first (the phone).
        self.channel = channel if channel in self.channels else self.channels[0]
        self.refused: dict[str, Callable[[str], str]] = {}  # field -> what is wrong with it, in a language given
        self._labelled = ""  # the language the choices were last labelled in

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="case-form"):
            yield Static(id="form-title")
            for field in self.fields:
                with Horizontal(classes="row", id=f"row-{field}"):
                    yield Label(id=f"label-{field}", classes="field-label")
                    if field == "channel":
                        yield Select([(value, value) for value in self.channels], id="channel", value=self.channel,
                                     allow_blank=False, compact=True, type_to_search=False)
                    elif field in ("outcome", *CHOICES):
                        yield Select([], id=field, compact=True, type_to_search=False)
                    else:
                        yield Input(id=field, compact=True, max_length=WHO_MAX if field == "who" else NOTE_MAX)
                yield Static(id=f"error-{field}", classes="field-error")
            yield Notice(id="notice")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if "who" in self.fields:
            self.query_one("#who", Input).value = self.who
        self.query_one(f"#{self.fields[0]}").focus()

    def refresh_view(self) -> None:
        if not self.ready:
            return
        language = self.cashier.language
        self.query_one("#form-title", Static).update(
            Text(label(f"form.{self.kind}_title", language, case_id=one_line(self.case_id), draft_id=self.draft_id),
                 style="bold"))
        for field in self.fields:
            self.query_one(f"#label-{field}", Label).update(label(f"form.{field}", language))
            error = self.query_one(f"#error-{field}", Static)
            error.update(Text(self.errors.get(field, "")))
            error.display = field in self.errors
        for field, hint in (("note", "form.note_hint"), ("reason", "form.reason_hint")):
            if field in self.fields:
                self.query_one(f"#{field}", Input).placeholder = label(hint, language)
        if self._labelled != language:
            self._label_choices(language)
        self.refresh_bindings()

    def _label_choices(self, language: str) -> None:
        """Fill (or relabel) the choices in the cashier's language, keeping what was chosen."""
        self._labelled = language
        for select in self.query(Select):
            select.prompt = label("form.choose", language)
        if "channel" in self.fields:
            channel = self.query_one("#channel", Select)
            chosen = channel.value if channel.value in self.channels else self.channel
            channel.set_options([(named("channel", value, language), value) for value in self.channels])
            channel.value = chosen
            self._offer_outcomes(language, keep=True)
        else:
            field = self.fields[0]
            if field in CHOICES:
                section, values = CHOICES[field]
                self._relabel(self.query_one(f"#{field}", Select), section, values, language)

    def _offer_outcomes(self, language: str, keep: bool) -> None:
        """The outcomes the chosen channel allows (an e-mail is sent or fails; nobody leaves one a message)."""
        self.channel = str(self.query_one("#channel", Select).value)
        outcome = self.query_one("#outcome", Select)
        allowed = self.outcomes[self.channel]
        if keep:
            self._relabel(outcome, "outcome", allowed, language)
        else:
            outcome.set_options([(named("outcome", value, language), value) for value in allowed])

    @staticmethod
    def _relabel(select: Select, section: str, values: tuple[str, ...], language: str) -> None:
        chosen = select.value
        select.set_options([(named(section, value, language), value) for value in values])
        if chosen in values:
            select.value = chosen

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "channel" and str(event.select.value) != self.channel and self._labelled:
            self._offer_outcomes(self.cashier.language, keep=False)

    # -- set down by the app ---------------------------------------------------------------------------

    @property
    def errors(self) -> dict[str, str]:
        """Field -> what is wrong with it, in the cashier's language."""
        return {field: said(self.cashier.language) for field, said in self.refused.items()}

    def show_errors(self, errors: dict[str, Callable[[str], str]]) -> None:
        """Each problem under its field, and the cursor on the first; a field this form does not have (the
        time an attempt was made) goes on the notice line."""
        self.refused = {field: said for field, said in errors.items() if field in self.fields}
        language = self.cashier.language
        others = [label("form.field_error", language, field=named("form", field, language), reason=said(language))
                  for field, said in errors.items() if field not in self.fields]
        self.show_problem(label("app.and", language).join(others))
        self.refresh_view()
        first = next((field for field in self.fields if field in self.errors), None)
        if first is not None:
            self.query_one(f"#{first}").focus()

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    # -- the manager's keys ----------------------------------------------------------------------------

    def action_save(self) -> None:
        self.after_keys(self._save)

    def _save(self) -> None:
        values: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#{field}")
            if isinstance(widget, Select):
                values[field] = "" if widget.is_blank() else str(widget.value)
            else:
                assert isinstance(widget, Input)
                values[field] = widget.value
        self.post_message(CaseFormSubmitted(self.case_id, self.kind, values, self.draft_id))
