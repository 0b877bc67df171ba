"""Customer notifications: drafts from the outbox sent by email (SMTP) or SMS (an HTTP gateway), or left
for the cashier to call or send by hand — only with recorded consent, every attempt journaled before it
goes out and after, failures retried with back-off, and one whose outcome was lost (`unknown`) never sent
again unasked."""

from agent.notify.errors import ChannelError, NotifyError
from agent.notify.history import FAILED, REFUSED, SENDING, SENT, UNKNOWN
from agent.notify.sender import DraftRow, Notifier, Preview, SendResult
from agent.notify.settings import NotifySettings

__all__ = [
    "FAILED",
    "REFUSED",
    "SENDING",
    "SENT",
    "UNKNOWN",
    "ChannelError",
    "DraftRow",
    "Notifier",
    "NotifyError",
    "NotifySettings",
    "Preview",
    "SendResult",
]
