"""Effects: what a flow asks the agent to do. Flows return these; only the agent performs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.card import MaskedPan
from domain.ids import Stan
from domain.money import Money


@dataclass(frozen=True)
class SendAuthorization:
    sale_id: str
    amount: Money


@dataclass(frozen=True)
class QueueReversal:
    sale_id: str
    stan: Stan
    amount: Money


@dataclass(frozen=True)
class Print:
    receipt_id: str
    document: dict[str, Any]
    duplicate: bool = False


@dataclass(frozen=True)
class ShowPrompt:
    prompt_id: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaptureContact:
    case_id: str
    reason: str


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    case_type: str
    sale_ids: tuple[str, ...]
    amount: Money | None = None
    masked: MaskedPan | None = None


@dataclass(frozen=True)
class Notify:
    case_id: str
    template: str


@dataclass(frozen=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    name: str
