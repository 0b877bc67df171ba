"""The two ways a notification can go wrong: the request itself, or the road to the customer."""

from __future__ import annotations


class NotifyError(Exception):
    """The cashier asked for something the notifier cannot do as asked (an unknown draft, a channel that is
    not configured or that the customer left no address for, a draft already sent); nothing is journaled,
    because nothing was attempted."""


class ChannelError(Exception):
    """One delivery failed. `permanent` when the relay or gateway refused the customer's address or the
    request itself, so the same message tried again would be refused again; otherwise it is retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
