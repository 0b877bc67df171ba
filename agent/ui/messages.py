"""Messages up: what the counter reports to the app, and what the cashier asks for on a screen.

Screens never call the counter or the stores; they post one of these and the app acts on it, then sets the
outcome back down on the screens.
"""

from __future__ import annotations

from textual.message import Message

from domain.effects import ShowPrompt


class CounterChanged(Message):
    """The counter's screen state changed (a device, a banner, a flow retired)."""


class PromptShown(Message):
    """A flow has a new prompt. Its name and sale are read when the counter reports it, because a flow that
    finished with this prompt is gone from the counter by the time the message is handled."""

    def __init__(self, flow_id: str, flow: str, prompt: ShowPrompt, sale_id: str | None, live: bool) -> None:
        super().__init__()
        self.flow_id = flow_id
        self.flow = flow
        self.prompt = prompt
        self.sale_id = sale_id
        self.live = live


class SaleRequested(Message):
    """The cashier pressed Enter on the amount (as typed, not yet parsed)."""

    def __init__(self, amount: str, reference: str) -> None:
        super().__init__()
        self.amount = amount
        self.reference = reference


class ActionRequested(Message):
    """The cashier pressed an action's key on a flow's prompt."""

    def __init__(self, flow_id: str, action: str) -> None:
        super().__init__()
        self.flow_id = flow_id
        self.action = action


class ContactSubmitted(Message):
    """The contact form as typed, for the flow that asked for it."""

    def __init__(self, flow_id: str, *, consent: bool, name: str, phone: str, email: str, wechat_id: str,
                 channel: str | None, note: str) -> None:
        super().__init__()
        self.flow_id = flow_id
        self.fields = {"consent": consent, "name": name, "phone": phone, "email": email, "wechat_id": wechat_id,
                       "channel": channel, "note": note}


class SaleReported(Message):
    """The cashier reports a recent sale: charged to the wrong card ("wrong_card"), or its receipt not paid
    ("unpaid", with the till's receipt number as typed when the sale printed none of ours)."""

    def __init__(self, sale_id: str, problem: str, receipt: str = "") -> None:
        super().__init__()
        self.sale_id = sale_id
        self.problem = problem
        self.receipt = receipt


class CaseChosen(Message):
    """The manager opens a case from a list."""

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id


class CaseFormSubmitted(Message):
    """A contact attempt ("attempt": channel, outcome, who, note) or a closing ("close": resolution, who,
    note) as typed, for one case; or what a person did with one of its messages ("message": channel,
    outcome, who, and the draft)."""

    def __init__(self, case_id: str, kind: str, fields: dict[str, str], draft_id: int | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.kind = kind
        self.fields = fields
        self.draft_id = draft_id
