"""What every recovery flow shares: one way in, effects out, and a state that survives a restart.

A flow is a `transitions` Machine over a small model holding only the state; what the flow remembers
sits beside it in a context dataclass. The machine decides *whether* something happens, the flow's
callbacks say *what* the agent must do, as effects. Callbacks are bound methods rather than names, so
a misspelt one fails as soon as a flow is built, not on the day its transition first fires.

Pitfalls of `transitions` this base keeps away from the flows:
- every flow starts in an inert IDLE state and is opened by an event, because `on_enter` is not called
  for the initial state;
- a restored flow gets a machine built *at* the saved state, which runs no callback, so a restart
  re-emits nothing;
- an event is matched to a trigger only if the current state has a transition for it, so an
  unexpected event is ignored rather than raising `MachineError`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar, Self

from transitions import Machine

from domain.card import Expiry, MaskedPan
from domain.effects import CaptureContact, OpenCase, Print, RecordPayment, ResolveCase, SaleFacts, ShowPrompt
from domain.events import CashierAction
from domain.ids import Stan
from domain.money import Money

FORMAT_VERSION = 1


class FlowStateError(ValueError):
    """A saved flow that cannot be resumed: says which flow and which part of the saved form is wrong."""


class _Model:
    """What the machine drives: the state, and the trigger methods the machine binds.

    Kept apart from the context because `transitions` binds a trigger over any attribute of the same
    name whose value is None — a context field would silently become a method.
    """

    state: enum.Enum  # set by the machine, as is a `trigger(name, *args)` method


@dataclasses.dataclass
class FlowContext:
    """Everything a flow remembers; its fields are what `to_json` saves."""

    sale: SaleFacts | None = None

    def names_sale(self, sale_id: str, stan: Stan | None = None) -> bool:
        """Whether an event about `sale_id` (and `stan`, if given) is about this flow's sale."""
        if self.sale is None or self.sale.sale_id != sale_id:
            return False
        return stan is None or self.sale.stan == stan


def facts_to_json(sale: SaleFacts) -> dict[str, Any]:
    return {
        "sale_id": sale.sale_id,
        "amount": sale.amount.to_json(),
        "masked": None if sale.masked is None else str(sale.masked),
        "expiry": None if sale.expiry is None else str(sale.expiry),
        "card_hash": sale.card_hash,
        "stan": None if sale.stan is None else str(sale.stan),
        "sent_at": None if sale.sent_at is None else sale.sent_at.isoformat(),
        "response_code": sale.response_code,
        "settles": sale.settles,
    }


def _optional(value: Any, parse: Callable[[Any], Any]) -> Any:
    return None if value is None else parse(value)


def facts_from_json(data: dict[str, Any]) -> SaleFacts:
    return SaleFacts(
        sale_id=data["sale_id"],
        amount=Money.from_json(data["amount"]),
        masked=_optional(data["masked"], MaskedPan.parse),
        expiry=_optional(data["expiry"], Expiry.parse),
        card_hash=data["card_hash"],
        stan=_optional(data["stan"], Stan.parse),
        sent_at=_optional(data["sent_at"], datetime.fromisoformat),
        response_code=data["response_code"],
        settles=data.get("settles"),  # saved before sales could pay for a case
    )


def prompt_facts(sale: SaleFacts, **extra: Any) -> dict[str, Any]:
    """The facts a prompt's placeholders name: {amount} {masked} {time} {stan} {code}, as far as known."""
    facts: dict[str, Any] = {"amount": sale.amount}
    known = {"masked": sale.masked, "time": sale.sent_at, "stan": sale.stan, "code": sale.response_code}
    facts.update({key: value if key == "time" else str(value) for key, value in known.items() if value is not None})
    facts.update(extra)
    return facts


class Flow:
    """Base of the recovery flows: `handle(event) -> effects`, `prompt()`, `to_json()` / `from_json()`."""

    name: ClassVar[str]
    State: ClassVar[type[enum.Enum]]
    Context: ClassVar[type[FlowContext]]
    # Cashier actions this flow answers to; each is also the name of its trigger.
    ACTIONS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, flow_id: str, **config: Any) -> None:
        self._assemble(flow_id, self.Context(**config), self.State["IDLE"])

    def _assemble(self, flow_id: str, ctx: FlowContext, state: enum.Enum) -> None:
        self.flow_id = flow_id
        self.ctx = ctx
        self._effects: list[Any] = []
        self._model = _Model()
        self._machine = Machine(model=self._model, initial=state, **self.machine_definition())

    def machine_definition(self) -> dict[str, Any]:
        """States and transitions, for this flow's machine and for the diagrams drawn from it."""
        return {"states": list(self.State), "transitions": self.transitions(), "auto_transitions": False}

    # -- what a flow defines ---------------------------------------------------------------------------

    def transitions(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def trigger_for(self, event: Any) -> str | None:
        """The trigger an event means to this flow, or None when the event is not about it."""
        raise NotImplementedError

    def prompt(self) -> ShowPrompt | None:
        """What the cashier's screen shows in the current state (also used to redraw after a restart)."""
        raise NotImplementedError

    # -- the one way in --------------------------------------------------------------------------------

    @property
    def state(self) -> enum.Enum:
        return self._model.state

    def expects(self, event: Any) -> bool:
        """Whether the current state has a transition for this event (its conditions may still refuse it)."""
        trigger = self.trigger_for(event)
        return trigger is not None and trigger in self._machine.get_triggers(self.state)

    def handle(self, event: Any) -> list[Any]:
        """Feed one domain event; returns the effects the agent must carry out, in order."""
        if not self.expects(event):
            return []
        trigger = self.trigger_for(event)
        self._effects = []
        self._model.trigger(trigger, event)
        effects, self._effects = self._effects, []
        return effects

    def action_trigger(self, event: CashierAction) -> str | None:
        """A cashier action is its own trigger, if this flow knows it and its data is complete."""
        if event.action not in self.ACTIONS:
            return None
        if event.action == "contact_saved" and not _text(event.data.get("contact_id")):
            return None
        if event.action == "other_payment" and not _text(event.data.get("method")):
            return None
        return event.action

    # -- serialisation ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        context = {}
        for item in dataclasses.fields(self.ctx):
            value = getattr(self.ctx, item.name)
            context[item.name] = facts_to_json(value) if isinstance(value, SaleFacts) else value
        return {"flow": self.name, "version": FORMAT_VERSION, "flow_id": self.flow_id,
                "state": self.state.name, "context": context}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Resume a flow exactly where `to_json` left it, without running any callback."""
        if not isinstance(data, dict):
            raise FlowStateError(f"a saved {cls.name} flow is a JSON object, not {type(data).__name__}")
        if data.get("flow") != cls.name:
            raise FlowStateError(f"saved flow is {data.get('flow')!r}, not {cls.name!r}")
        if data.get("version") != FORMAT_VERSION:
            raise FlowStateError(f"saved {cls.name} flow has format version {data.get('version')!r}; "
                                 f"this agent reads version {FORMAT_VERSION}")
        try:
            state = cls.State[data["state"]]
        except KeyError:
            raise FlowStateError(f"saved {cls.name} flow is in unknown state {data.get('state')!r}; known: "
                                 f"{', '.join(s.name for s in cls.State)}") from None
        try:
            fields = dict(data["context"])
            if fields.get("sale") is not None:
                fields["sale"] = facts_from_json(fields["sale"])
            ctx = cls.Context(**fields)
            flow_id = data["flow_id"]
        except (KeyError, TypeError, ValueError) as exc:
            raise FlowStateError(f"saved {cls.name} flow is unreadable: {type(exc).__name__} {exc}") from None
        flow = cls.__new__(cls)
        flow._assemble(str(flow_id), ctx, state)
        return flow

    # -- helpers for the flows' definitions and callbacks --------------------------------------------

    def transition(self, trigger: str, source: enum.Enum | Iterable[enum.Enum], dest: enum.Enum | None, *,
                   before: Callable[..., Any] | Iterable[Callable[..., Any]] = (),
                   conditions: Callable[..., bool] | None = None, show: bool = True) -> dict[str, Any]:
        """One transition; unless `show` is False the new state's prompt is shown once it is entered.

        `dest=None` is an internal transition: the state stays and its prompt is not shown again.
        """
        definition: dict[str, Any] = {
            "trigger": trigger,
            "source": list(source) if isinstance(source, Iterable) else source,
            "dest": dest,
            "before": [before] if callable(before) else list(before),
        }
        if conditions is not None:
            definition["conditions"] = [conditions]
        if show and dest is not None:
            definition["after"] = [self.show]
        return definition

    def emit(self, *effects: Any) -> None:
        self._effects.extend(effects)

    def show(self, *_: Any) -> None:
        prompt = self.prompt()
        if prompt is not None:
            self.emit(prompt)

    @property
    def sale(self) -> SaleFacts:
        assert self.ctx.sale is not None, f"{self.name} flow {self.flow_id} has no sale yet"
        return self.ctx.sale

    def adopt(self, event: Any) -> None:
        """Take the sale's facts from the HandOver that opened this flow."""
        self.ctx.sale = event.sale

    def record_payment(self, event: CashierAction) -> None:
        method = event.data["method"]
        self.emit(RecordPayment(self.sale.sale_id, method, self.sale.amount))
        if self.sale.settles is not None:  # the card payment for a case failed, and it was paid this way
            self.emit(ResolveCase(self.sale.settles, "paid_otherwise", f"paid {method}: sale {self.sale.sale_id}"))

    def capture_contact(self, reason: str) -> None:
        self.emit(CaptureContact(self.flow_id, reason))

    def open_case(self, event: CashierAction, *, slip: bool = True) -> None:
        """The customer leaves with the matter unsettled: a case keeps it, with the contact if one was left,
        and the customer keeps a printed contact slip — the store's details and the case number — so they
        can reach the store whether or not they left details of their own."""
        contact_id = event.data.get("contact_id") if event.action == "contact_saved" else None
        self.emit(OpenCase(self.flow_id, self.name, (self.sale.sale_id,), self.sale.amount, self.sale.masked,
                           contact_id))
        if slip:
            self.emit(Print(f"{self.flow_id}-contact", contact_slip(self.flow_id, self.sale)))


def contact_slip(case_id: str, sale: SaleFacts) -> dict[str, Any]:
    """The contact slip's document. Its time is the sale's, when a request left; otherwise the agent
    stamps the time it queues the slip (a flow reads no clock)."""
    return {"type": "contact", "case_id": case_id, "sale_id": sale.sale_id, "amount": sale.amount.to_json(),
            "masked": None if sale.masked is None else str(sale.masked),
            "time": None if sale.sent_at is None else sale.sent_at.isoformat()}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
