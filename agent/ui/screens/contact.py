"""The contact form: name (optional), phone, email (optional), WeChat id (optional), the preferred channel,
the customer's consent and a note. Saving hands the form to the app, which validates and stores it; each
problem comes back and is shown under its field. "Customer declines" is one key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Footer, Input, Label, RadioButton, RadioSet, Static

from agent.contacts import Channel, ContactError
from agent.ui.labels import LabelsError, label
from agent.ui.messages import ActionRequested, ContactSubmitted
from agent.ui.reasons import contact_problem
from agent.ui.sanitise import sanitise
from agent.ui.screens.base import Key, KeyedModal, bindings, key
from agent.ui.widgets import Notice
from flows.prompts import catalogue

TEXT_FIELDS = ("name", "phone", "email", "wechat_id", "note")
FIELDS = ("name", "phone", "email", "wechat_id", "channel", "consent", "note")


class ContactScreen(KeyedModal):
    BINDINGS = bindings(Key("f5", "save", dict(catalogue().actions["contact_saved"].labels), "F5", priority=True),
                        Key("f6", "declined", dict(catalogue().actions["contact_declined"].labels), "F6",
                            priority=True),
                        key("escape", "app.close_contact", "contact.back", "Esc"))

    def __init__(self, flow_id: str, reason: str) -> None:
        super().__init__()
        self.flow_id = flow_id
        self.reason = reason
        self.refused: list[ContactError] = []  # what the store refused, shown under each field

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="contact-form"):
            yield Static(id="contact-title")
            for field in FIELDS:
                with Horizontal(classes="row", id=f"row-{field}"):
                    yield Label(id=f"label-{field}", classes="field-label")
                    if field == "channel":
                        with RadioSet(id="channel", compact=True):
                            for channel in Channel:
                                yield RadioButton(id=f"channel-{channel.value}", compact=True)
                    elif field == "consent":
                        yield Checkbox(id="consent", compact=True)
                    else:
                        yield Input(id=field, compact=True)
                yield Static(id=f"error-{field}", classes="field-error")
            yield Notice(id="notice")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def refresh_view(self) -> None:
        if not self.ready:
            return
        language = self.cashier.language
        try:
            why = label(f"contact.why_{self.reason}", language)
        except LabelsError:  # a reason this app has no words for yet: named as the flow gave it
            why = label("contact.why_other", language, reason=sanitise(self.reason, single_line=True))
        title = Text(label("contact.title", language), style="bold")
        title.append(f"  {self.flow_id}\n", style="dim")
        title.append(why)
        self.query_one("#contact-title", Static).update(title)
        errors = self.errors
        for field in FIELDS:
            self.query_one(f"#label-{field}", Label).update(label(f"contact.{field}", language)
                                                             if field != "consent" else "")
            error = self.query_one(f"#error-{field}", Static)
            error.update(Text(errors.get(field, "")))
            error.display = field in errors
        self.query_one("#consent", Checkbox).label = label("contact.consent", language)
        for channel in Channel:
            self.query_one(f"#channel-{channel.value}", RadioButton).label = label(f"channel.{channel.value}", language)
        self.refresh_bindings()

    # -- set down by the app ---------------------------------------------------------------------------

    @property
    def errors(self) -> dict[str, str]:
        """Field -> what is wrong with it, in the cashier's language: the first problem of each field."""
        shown: dict[str, str] = {}
        for error in self.refused:
            shown.setdefault(error.field, contact_problem(error, self.cashier.language))
        return shown

    def show_errors(self, errors: list[ContactError]) -> None:
        """Each problem under its field; the first field with one gets the focus."""
        self.refused = list(errors)
        self.refresh_view()
        first = next((field for field in FIELDS if field in self.errors), None)
        if first is not None:
            self.query_one(f"#{first}").focus()

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)

    # -- the cashier's keys ----------------------------------------------------------------------------

    def action_save(self) -> None:
        self.after_keys(self._save)

    def _save(self) -> None:
        values = {field: self.query_one(f"#{field}", Input).value for field in TEXT_FIELDS}
        pressed = self.query_one("#channel", RadioSet).pressed_button
        channel = pressed.id.removeprefix("channel-") if pressed is not None and pressed.id else None
        self.post_message(ContactSubmitted(self.flow_id, consent=self.query_one("#consent", Checkbox).value,
                                           channel=channel, **values))

    def action_declined(self) -> None:
        self.post_message(ActionRequested(self.flow_id, "contact_declined"))
