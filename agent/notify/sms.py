"""Text messages through the store's SMS gateway: one JSON POST per message, with the standard library.

Gateways differ in field names, so the JSON body is a template (`sms_body`) whose strings may hold
`{to}` and `{text}`; the values are put in after parsing, so no message text can break the JSON. A 2xx
answer means the gateway took the message; anything else is a failure reported with its status and the
start of the gateway's answer. Redirects are not followed: a POST silently turned into a GET elsewhere
would look like success.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from agent.notify.errors import ChannelError
from agent.notify.settings import NotifySettings

_PLACEHOLDER = re.compile(r"\{(to|text)\}")
EXCERPT = 120
# The gateway judged the request itself wrong (such as the number): the same request would fail again.
PERMANENT_STATUSES = frozenset({400, 422})


def fill(template: Any, to: str, text: str) -> Any:
    """The body template with `{to}` and `{text}` replaced in every string, at any depth."""
    values = {"to": to, "text": text}
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
    if isinstance(template, Mapping):
        return {key: fill(value, to, text) for key, value in template.items()}
    if isinstance(template, list | tuple):
        return [fill(value, to, text) for value in template]
    return template


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SmsChannel:
    def __init__(self, settings: NotifySettings) -> None:
        assert settings.sms_url, "SmsChannel needs sms_url"
        self._settings = settings
        self._opener = urllib.request.build_opener(_NoRedirects)

    def deliver(self, to: str, text: str) -> None:
        """POST one message; raises `ChannelError` unless the gateway answers 2xx."""
        settings = self._settings
        body = json.dumps(fill(settings.sms_body, to, text), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(settings.sms_url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", **self._token_header()})
        # The URL is never quoted in an error: gateways often carry an account key in the query string.
        try:
            with self._opener.open(request, timeout=settings.sms_timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                excerpt = " ".join(exc.read(EXCERPT * 4).decode("utf-8", "replace").split())[:EXCERPT]
            raise ChannelError(f"the SMS gateway answered HTTP {exc.code}: {excerpt or exc.reason}",
                               permanent=exc.code in PERMANENT_STATUSES) from None
        except TimeoutError:
            raise self._timed_out() from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out() from None
            raise ChannelError(f"cannot reach the SMS gateway: {exc.reason}") from None
        except OSError as exc:
            raise ChannelError(f"the connection to the SMS gateway failed: {exc}") from None

    def _timed_out(self) -> ChannelError:
        return ChannelError(f"no answer from the SMS gateway within {self._settings.sms_timeout:g} s")

    def _token_header(self) -> dict[str, str]:
        name = self._settings.sms_token_env
        if not name:
            return {}
        token = os.environ.get(name)
        if token is None:
            raise ChannelError(f"sms_token_env names {name}, which is not set")
        scheme = self._settings.sms_token_scheme
        return {self._settings.sms_token_header: f"{scheme} {token}" if scheme else token}
