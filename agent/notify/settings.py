"""How notifications leave the shop. The defaults send nothing: every draft stays in the outbox for the
cashier, because a store must choose (and pay for) a mail relay or an SMS gateway before recoup talks
to either on its behalf.

Secrets are never settings: the SMTP password and the SMS token are read from environment variables
named here, at the moment of sending, so they reach neither the config file nor the journal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_SMS_BODY: Mapping[str, Any] = {"to": "{to}", "text": "{text}"}


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password_env: str = "RECOUP_SMTP_PASSWORD"
    smtp_from: str | None = None
    smtp_cafile: Path | None = None  # a relay with a private or self-signed certificate
    smtp_timeout: float = 10.0
    sms_url: str | None = None
    sms_token_env: str | None = None
    sms_token_header: str = "Authorization"
    sms_token_scheme: str = "Bearer"  # header value is "<scheme> <token>", or the bare token if empty
    sms_body: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_SMS_BODY))
    sms_timeout: float = 10.0
    retry_backoff: tuple[float, ...] = (60.0, 300.0, 1800.0)  # seconds before each retry; then give up

    def __post_init__(self) -> None:
        if not self.retry_backoff or any(delay <= 0 for delay in self.retry_backoff):
            raise ValueError("retry_backoff must list at least one delay, each more than 0 seconds")
        if not 0 < self.smtp_port < 65536:
            raise ValueError(f"smtp_port must be 1..65535, got {self.smtp_port}")
        for name in ("smtp_timeout", "sms_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be more than 0 seconds")
        if bool(self.smtp_host) != bool(self.smtp_from):
            raise ValueError("email needs both smtp_host and smtp_from, or neither")
        if self.sms_url and urlsplit(self.sms_url).scheme not in ("http", "https"):
            raise ValueError("sms_url must be an http:// or https:// URL")

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def sms_enabled(self) -> bool:
        return bool(self.sms_url)
