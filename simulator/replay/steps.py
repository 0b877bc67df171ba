"""The steps a scenario is made of, as data: what the cashier does, what happens at a device, how far the
clock moves, and what must then be true.

Each kind parses its own YAML value (text, lists and dicts of text — see `scenario._plain`) and says what
is wrong with it naming the key, and writes itself back (`spec`) for a session recorded by hand. Running
them is the engine's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from domain.money import Money, MoneyError
from flows import FLOWS
from flows.prompts import catalogue
from simulator.cardreader.wallet import WALLET
from simulator.replay.devices import ACQUIRER_VERBS, DeviceCommandError, printer_command, reader_command

LAST = "last"  # the sale most recently started at the till, by the cashier or by the counter
NO_SALE = "none"  # an expect step about no sale in particular (the link lost while idle)
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION = 3650 * UNITS["d"]  # ten years of virtual time: any counter's story, and exact when written back
MAX_COUNT_DIGITS = 9
CONTACT_FIELDS = ("name", "phone", "email", "wechat_id", "channel", "note", "consent")
NOTIFICATION_STATES = ("drafted", "sent", "failed", "refused", "unknown", "not_drafted")
CASE_STATES = ("open", "closed", "none")
YES, NO = ("true", "yes", "on"), ("false", "no", "off")


class StepError(Exception):
    def __init__(self, message: str, key: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.key, self.line = message, key, line


@dataclass(frozen=True)
class Node:
    """A YAML value as written: text, or a list or dict of Nodes; with its line."""

    value: Any
    line: int | None = None

    def text(self, key: str, expected: str) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise StepError(f"expected {expected}", key, self.line)
        return self.value.strip()

    def fields(self, key: str, allowed: tuple[str, ...], expected: str) -> dict[str, Node]:
        if not isinstance(self.value, dict):
            raise StepError(f"expected {expected}", key, self.line)
        for name, node in self.value.items():
            if name not in allowed:
                raise StepError(f"unknown key; {key} takes {', '.join(allowed)}", name, node.line)
        return self.value


def duration(text: str, key: str, line: int | None = None) -> float:
    match = DURATION.fullmatch(text.strip())
    if match is None:
        raise StepError(f"{text!r} is not a duration; write 30s, 500ms, 2m, 1h or 1d", key, line)
    seconds = round(float(match[1]) * UNITS[match[2]], 6)
    if not seconds <= MAX_DURATION:  # an infinite one too: the virtual clock would never get there
        raise StepError(f"{text!r} is longer than a replay can run; {MAX_DURATION // UNITS['d']:.0f}d at most",
                        key, line)
    return seconds


def _count(node: Node, key: str, expected: str) -> int:
    text = node.text(key, expected)
    if not text.isdecimal():
        raise StepError(f"{text!r} is not a whole number", key, node.line)
    if len(text) > MAX_COUNT_DIGITS:
        raise StepError(f"a count of {len(text)} digits; {MAX_COUNT_DIGITS} at most", key, node.line)
    return int(text)


def duration_text(seconds: float) -> str:
    for unit in ("d", "h", "m", "s"):
        if seconds >= UNITS[unit] and (seconds / UNITS[unit]).is_integer():
            return f"{int(seconds / UNITS[unit])}{unit}"
    return repr(round(seconds * 1000, 3)).removesuffix(".0") + "ms"


def _sale_ref(node: Node | None, key: str) -> str:
    return LAST if node is None else node.text(key, "a sale: last, or the name a sale step gave it with `as`")


def _flag(node: Node, key: str) -> bool:
    word = node.text(key, "true or false").lower()
    if word not in YES + NO:
        raise StepError(f"{word!r} is not true or false", key, node.line)
    return word in YES


class Step:
    key: ClassVar[str]
    line: int | None

    @classmethod
    def parse(cls, node: Node, line: int | None) -> Step:
        raise NotImplementedError

    def spec(self) -> Any:
        """The step's YAML value, as `parse` reads it back."""
        raise NotImplementedError

    def describe(self) -> str:
        """The step as written in a scenario, on one line."""
        return yaml.safe_dump({self.key: self.spec()}, default_flow_style=True, allow_unicode=True, sort_keys=False,
                              width=10_000).strip()[1:-1]


# -- the cashier -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SaleStep(Step):
    """The cashier keys an amount: a new sale waits for the card."""

    key: ClassVar[str] = "sale"
    amount: Money
    reference: str | None = None
    alias: str | None = None
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> SaleStep:
        alias = reference = None
        if isinstance(node.value, dict):
            fields = node.fields("sale", ("amount", "reference", "as"), "an amount such as 58.00")
            if "amount" not in fields:
                raise StepError("missing the amount, such as 58.00", "amount", node.line)
            amount_node = fields["amount"]
            reference = fields["reference"].text("reference", "the order reference") if "reference" in fields else None
            alias = fields["as"].text("as", "a name for the sale, such as first") if "as" in fields else None
            if alias == LAST:
                raise StepError(f"{LAST!r} always means the latest sale; choose another name", "as", fields["as"].line)
        else:
            amount_node = node
        text = amount_node.text("sale", "an amount such as 58.00")
        key = "amount" if node is not amount_node else "sale"
        try:
            amount = Money.parse(text)
        except MoneyError as exc:
            raise StepError(f"{text!r} is not an amount: {exc}", key, amount_node.line) from None
        if not amount.minor:
            raise StepError(f"{text!r}: a sale is for more than nothing", key, amount_node.line)
        return cls(amount, reference, alias, line)

    def spec(self) -> Any:
        if self.reference is None and self.alias is None:
            return self.amount.amount_text()
        spec = {"amount": self.amount.amount_text()}
        spec |= {"reference": self.reference} if self.reference else {}
        return spec | ({"as": self.alias} if self.alias else {})


@dataclass(frozen=True)
class ActionStep(Step):
    """The cashier presses an action's key on the screen of the sale's recovery (or whichever screen
    offers it, for a recovery with no sale such as the link lost while idle)."""

    key: ClassVar[str] = "action"
    action: str
    sale: str = LAST
    method: str | None = None
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> ActionStep:
        actions = tuple(name for name in catalogue().actions if name not in ("contact_saved", "contact_declined"))
        expected = "an action: " + ", ".join(actions)
        sale, method = LAST, None
        if isinstance(node.value, dict):
            fields = node.fields("action", ("action", "sale", "method"), expected)
            if "action" not in fields:
                raise StepError("missing: " + expected, "action", node.line)
            name_node, sale = fields["action"], _sale_ref(fields.get("sale"), "sale")
            method = fields["method"].text("method", "how the customer pays, such as cash") if "method" in fields \
                else None
        else:
            name_node = node
        action = name_node.text("action", expected)
        if action not in actions:
            hint = " (the contact step saves details or records a refusal)" if action.startswith("contact") else ""
            raise StepError(f"{action!r} is not an action; {expected}{hint}", "action", name_node.line)
        if method is not None and action != "other_payment":
            raise StepError("only other_payment takes a method", "method", node.line)
        return cls(action, sale, method or ("cash" if action == "other_payment" else None), line)

    def spec(self) -> Any:
        if self.sale == LAST and self.method in (None, "cash"):
            return self.action
        spec: dict[str, str] = {"action": self.action}
        spec |= {"sale": self.sale} if self.sale != LAST else {}
        return spec | ({"method": self.method} if self.method else {})


@dataclass(frozen=True)
class ContactStep(Step):
    """The customer leaves contact details on the form (or declines, `contact: declined`)."""

    key: ClassVar[str] = "contact"
    details: tuple[tuple[str, str], ...] = ()  # empty: the customer declined
    sale: str = LAST
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> ContactStep:
        expected = "the customer's details (" + ", ".join(CONTACT_FIELDS) + ", sale) or declined"
        if not isinstance(node.value, dict):
            if node.text("contact", expected) != "declined":
                raise StepError(f"expected {expected}", "contact", node.line)
            return cls((), LAST, line)
        fields = node.fields("contact", (*CONTACT_FIELDS, "sale"), expected)
        sale = _sale_ref(fields.get("sale"), "sale")
        details = tuple((name, fields[name].text(name, f"the customer's {name}")) for name in CONTACT_FIELDS
                        if name in fields)
        if "consent" not in fields:
            raise StepError("missing: contact details are kept only with the customer's consent (consent: true)",
                            "consent", node.line)
        _flag(fields["consent"], "consent")
        return cls(details, sale, line)

    @property
    def declined(self) -> bool:
        return not self.details

    def form(self) -> dict[str, Any]:
        return {name: (value.lower() in YES if name == "consent" else value) for name, value in self.details}

    def spec(self) -> Any:
        if self.declined:
            return "declined"
        return dict(self.details) | ({"sale": self.sale} if self.sale != LAST else {})


@dataclass(frozen=True)
class WrongCardStep(Step):
    """The cashier reports that an approved sale was charged to the wrong card."""

    key: ClassVar[str] = "wrong_card"
    sale: str = LAST
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> WrongCardStep:
        return cls(_sale_ref(node, "wrong_card"), line)

    def spec(self) -> Any:
        return self.sale


@dataclass(frozen=True)
class UnpaidStep(Step):
    """The cashier reports a receipt the customer holds but may not have paid (the till's number, when
    the receipt is not ours)."""

    key: ClassVar[str] = "unpaid"
    sale: str = LAST
    receipt: str | None = None
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> UnpaidStep:
        if isinstance(node.value, dict):
            fields = node.fields("unpaid", ("sale", "receipt"), "a sale, or sale and receipt")
            receipt = fields["receipt"].text("receipt", "the receipt's number") if "receipt" in fields else None
            return cls(_sale_ref(fields.get("sale"), "sale"), receipt, line)
        return cls(_sale_ref(node, "unpaid"), None, line)

    def spec(self) -> Any:
        return self.sale if self.receipt is None else {"sale": self.sale, "receipt": self.receipt}


@dataclass(frozen=True)
class RestartStep(Step):
    """The agent stops dead (power cut, killed) and starts again on the same journal and devices."""

    key: ClassVar[str] = "restart"
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> RestartStep:
        if node.text("restart", "agent") != "agent":
            raise StepError("only the agent restarts: write `restart: agent`", "restart", node.line)
        return cls(line)

    def spec(self) -> Any:
        return "agent"


@dataclass(frozen=True)
class NotifyStep(Step):
    """The outbox is sent: each drafted message goes out by the customer's channel, e-mail through the
    local mail server the replay runs."""

    key: ClassVar[str] = "notify"
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> NotifyStep:
        if node.text("notify", "send") != "send":
            raise StepError("write `notify: send` to send the drafted messages", "notify", node.line)
        return cls(line)

    def spec(self) -> Any:
        return "send"


# -- the devices ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceStep(Step):
    command: str = ""
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> DeviceStep:
        command = " ".join(node.text(cls.key, f"a {cls.key} command").split())
        try:
            cls.check(command)
        except DeviceCommandError as exc:
            raise StepError(str(exc), cls.key, node.line) from None
        return cls(command, line)

    @staticmethod
    def check(command: str) -> None:
        raise NotImplementedError

    def spec(self) -> Any:
        return self.command


@dataclass(frozen=True)
class ReaderStep(DeviceStep):
    """At the card reader: present a card, a bad swipe, line noise, the cable."""

    key: ClassVar[str] = "reader"

    @staticmethod
    def check(command: str) -> None:
        reader_command(command)


@dataclass(frozen=True)
class PrinterStep(DeviceStep):
    """At the printer: the paper, the cover, offline, silence — now, or a number of bytes into the next job."""

    key: ClassVar[str] = "printer"

    @staticmethod
    def check(command: str) -> None:
        printer_command(command)


@dataclass(frozen=True)
class AcquirerStep(DeviceStep):
    """At the acquirer: faults, rules, the link (the commands of `recoup devices`)."""

    key: ClassVar[str] = "acquirer"

    @staticmethod
    def check(command: str) -> None:
        verb = command.split()[0].lower()
        if verb not in ACQUIRER_VERBS:
            raise DeviceCommandError(f"word 1 {verb!r}: expected a command: {', '.join(ACQUIRER_VERBS)}")


# -- time ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdvanceStep(Step):
    """Time passes: every timer due on the way fires in order, and everything it set off runs."""

    key: ClassVar[str] = "advance"
    seconds: float = 0.0
    line: int | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, node: Node, line: int | None) -> AdvanceStep:
        return cls(duration(node.text("advance", "a duration such as 30s"), "advance", node.line), line)

    def spec(self) -> Any:
        return duration_text(self.seconds)


# -- expectations --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpectStep(Step):
    """What must be true now, of the sale named (the latest by default) — or, with `within`, at some point
    before that much more time has passed (time moves to each next timer until it is)."""

    key: ClassVar[str] = "expect"
    checks: tuple[tuple[str, Any], ...] = ()
    sale: str = LAST
    within: float | None = None
    line: int | None = field(default=None, compare=False)

    CHECKS: ClassVar[tuple[str, ...]] = ("flow", "state", "prompt", "paused", "receipts", "receipt", "no_receipt",
                                         "ledger", "case", "notification", "journal", "no_journal")

    @classmethod
    def parse(cls, node: Node, line: int | None) -> ExpectStep:
        fields = node.fields("expect", (*cls.CHECKS, "sale", "within"), "what must be true: "
                             + ", ".join(cls.CHECKS))
        checks = tuple((name, getattr(cls, f"_{name}")(fields[name])) for name in cls.CHECKS if name in fields)
        if not checks:
            raise StepError("nothing to check; give one or more of " + ", ".join(cls.CHECKS), "expect", node.line)
        within = duration(fields["within"].text("within", "a duration"), "within", fields["within"].line) \
            if "within" in fields else None
        sale = fields["sale"].text("sale", "a sale: last, none, or a name given with `as`") if "sale" in fields \
            else LAST
        return cls(checks, sale, within, line)

    def spec(self) -> Any:
        spec: dict[str, Any] = {}
        spec |= {"sale": self.sale} if self.sale != LAST else {}
        for name, value in self.checks:
            spec[name] = _spec_value(name, value)
        return spec | ({"within": duration_text(self.within)} if self.within is not None else {})

    @staticmethod
    def _flow(node: Node) -> str:
        name = node.text("flow", "a flow: " + ", ".join(FLOWS) + " or none")
        if name not in (*FLOWS, "none"):
            raise StepError(f"{name!r} is not a flow; flows: {', '.join(FLOWS)} (none: the sale has no flow)",
                            "flow", node.line)
        return name

    @staticmethod
    def _state(node: Node) -> str:
        state = node.text("state", "a flow's state, such as APPROVED").upper()
        known = {s.name for flow in FLOWS.values() for s in flow.State}
        if state not in known:
            raise StepError(f"{state!r} is no flow's state; states: {', '.join(sorted(known))}", "state", node.line)
        return state

    @staticmethod
    def _prompt(node: Node) -> str:
        prompt = node.text("prompt", "a prompt id, such as network.outcome_unknown")
        if prompt not in catalogue().prompts:
            near = sorted(p for p in catalogue().prompts if p.split(".")[0] == prompt.split(".")[0])
            raise StepError(f"{prompt!r} is not a prompt" + (f"; near it: {', '.join(near)}" if near else ""),
                            "prompt", node.line)
        return prompt

    @staticmethod
    def _paused(node: Node) -> bool:
        return _flag(node, "paused")

    @staticmethod
    def _receipts(node: Node) -> int:
        return _count(node, "receipts", "how many receipts the printer has put out, a whole number")

    @staticmethod
    def _receipt(node: Node) -> tuple[str, ...]:
        return _texts(node, "receipt")

    @staticmethod
    def _no_receipt(node: Node) -> tuple[str, ...]:
        return _texts(node, "no_receipt")

    @staticmethod
    def _ledger(node: Node) -> tuple[tuple[str, Money], ...]:
        expected = "each card's net charge at the acquirer, such as {visa: 58.00}"
        fields = node.fields("ledger", tuple(WALLET), expected)
        found = []
        for card, amount_node in fields.items():
            text = amount_node.text(card, "an amount such as 58.00")
            try:
                found.append((card, Money.parse(text)))
            except MoneyError as exc:
                raise StepError(f"{text!r} is not an amount: {exc}", card, amount_node.line) from None
        return tuple(found)

    @staticmethod
    def _case(node: Node) -> tuple[tuple[str, str], ...]:
        if not isinstance(node.value, dict):
            state = node.text("case", "open, closed or none, or {type, state, resolution}")
            if state not in CASE_STATES:
                raise StepError(f"{state!r}: expected one of {', '.join(CASE_STATES)}", "case", node.line)
            return (("state", state),)
        fields = node.fields("case", ("type", "state", "resolution"), "{type, state, resolution}")
        found = tuple((name, fields[name].text(name, f"the case's {name}"))
                      for name in ("type", "state", "resolution") if name in fields)
        state = dict(found).get("state")
        if state is not None and state not in CASE_STATES:
            raise StepError(f"{state!r}: expected one of {', '.join(CASE_STATES)}", "state", fields["state"].line)
        return found

    @staticmethod
    def _notification(node: Node) -> tuple[tuple[str, str], ...]:
        fields = node.fields("notification", ("template", "state"), "{template, state}")
        found = tuple((name, fields[name].text(name, f"the notification's {name}")) for name in ("template", "state")
                      if name in fields)
        state = dict(found).get("state")
        if state is not None and state not in NOTIFICATION_STATES:
            raise StepError(f"{state!r}: expected one of {', '.join(NOTIFICATION_STATES)}", "state",
                            fields["state"].line)
        if "template" not in dict(found):
            raise StepError("missing: which message, such as network_drop.hold_released", "template", node.line)
        return found

    @staticmethod
    def _journal(node: Node) -> tuple[tuple[str, int | None], ...]:
        return _kinds(node, "journal")

    @staticmethod
    def _no_journal(node: Node) -> tuple[tuple[str, int | None], ...]:
        if isinstance(node.value, dict):
            raise StepError("expected an event kind or a list of them, none of which may be on record",
                            "no_journal", node.line)
        return _kinds(node, "no_journal")


def _texts(node: Node, key: str) -> tuple[str, ...]:
    items = node.value if isinstance(node.value, list) else [node]
    return tuple(item.text(key, "text printed on the receipt") for item in items)


def _kinds(node: Node, key: str) -> tuple[tuple[str, int | None], ...]:
    """Event kinds: a name or list of names (at least once), or {name: count} (exactly)."""
    expected = "an event kind, a list of them, or {kind: count}"
    if isinstance(node.value, dict):
        return tuple((kind, _count(times, kind, "how many, a whole number")) for kind, times in node.value.items())
    if node.value is None:
        raise StepError(f"expected {expected}", key, node.line)
    items = node.value if isinstance(node.value, list) else [node]
    return tuple((item.text(key, expected), None) for item in items)


def _spec_value(name: str, value: Any) -> Any:
    if name == "paused":
        return "true" if value else "false"
    if name == "receipts":
        return str(value)
    if name in ("receipt", "no_receipt"):
        return value[0] if len(value) == 1 else list(value)
    if name == "ledger":
        return {card: amount.amount_text() for card, amount in value}
    if name in ("case", "notification"):
        return dict(value)
    if name in ("journal", "no_journal"):
        if all(count is None for _, count in value):
            return value[0][0] if len(value) == 1 else [kind for kind, _ in value]
        return {kind: str(count) for kind, count in value}
    return value


STEPS: dict[str, type[Step]] = {kind.key: kind for kind in (
    SaleStep, ActionStep, ContactStep, WrongCardStep, UnpaidStep, ReaderStep, PrinterStep, AcquirerStep,
    AdvanceStep, RestartStep, NotifyStep, ExpectStep)}
