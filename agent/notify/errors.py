"""The two ways a notification can go wrong: the request itself, or the road to the customer."""

from __future__ import annotations

# Why a request is refused: `NotifyError.code`, so a screen can say it in its user's own language.
REFUSALS = ("no_draft", "channel_unknown", "outcome_unknown", "already_sent", "unknown", "not_unknown",
            "other_channel", "no_address", "not_configured")


class NotifyError(Exception):
    """The cashier asked for something the notifier cannot do as asked (an unknown draft, a channel that is
    not configured or that the customer left no address for, a draft already sent); nothing is journaled,
    because nothing was attempted. The message is the English sentence for the command line and the logs;
    `code` (one of REFUSALS) and `facts` (what the sentence names) are what a screen puts into words."""

    def __init__(self, message: str, *, code: str, **facts: object) -> None:
        assert code in REFUSALS, code
        super().__init__(message)
        self.code = code
        self.facts = facts


class ChannelError(Exception):
    """One delivery failed. `permanent` when the relay or gateway refused the customer's address or the
    request itself, so the same message tried again would be refused again; otherwise it is retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
