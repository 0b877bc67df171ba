"""Customer notifications: drafts from the outbox sent by email (SMTP) or SMS (an HTTP gateway), or left
for the cashier to call or send by hand — only with recorded consent, every attempt journaled, failures
retried with back-off."""

from agent.notify.errors import ChannelError, NotifyError
from agent.notify.history import FAILED, REFUSED, SENT
from agent.notify.sender import DraftRow, Notifier, Preview, SendResult
from agent.notify.settings import NotifySettings

__all__ = [
    "FAILED",
    "REFUSED",
    "SENT",
    "ChannelError",
    "DraftRow",
    "Notifier",
    "NotifyError",
    "NotifySettings",
    "Preview",
    "SendResult",
]
