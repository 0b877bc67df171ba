"""Email through the store's SMTP relay, with the standard library only.

One connection per message: a counter sends a handful a day, and a fresh session never inherits a
half-broken one. The relay's certificate is verified (against `smtp_cafile` when the relay has a private
one); a password is read from the environment when it is needed and never kept.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from agent.notify.errors import ChannelError
from agent.notify.settings import NotifySettings


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(message.split())}"


class EmailChannel:
    def __init__(self, settings: NotifySettings) -> None:
        assert settings.smtp_host and settings.smtp_from, "EmailChannel needs smtp_host and smtp_from"
        self._settings = settings
        self._where = f"the SMTP server {settings.smtp_host}:{settings.smtp_port}"

    def _message(self, to: str, subject: str, body: str, at: datetime) -> EmailMessage:
        settings = self._settings
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(at)
        # make_msgid() without a domain asks DNS for this PC's full name, which can stall an offline counter.
        message["Message-ID"] = make_msgid(domain=str(settings.smtp_from).rpartition("@")[2] or "recoup")
        message.set_content(body, charset="utf-8", cte="base64")
        return message

    def deliver(self, to: str, subject: str, body: str, at: datetime) -> None:
        """Hand the message to the relay; raises `ChannelError` saying what went wrong and where."""
        settings = self._settings
        password = self._password()
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=settings.smtp_cafile))
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, password)
                smtp.send_message(self._message(to, subject, body, at))
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"{self._where} refused the login of {settings.smtp_user!r}: "
                               f"{_reply(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            ((code, text),) = exc.recipients.values()
            raise ChannelError(f"{self._where} refused the recipient: {_reply(code, text)}",
                               permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as exc:
            raise ChannelError(f"{self._where} refused the sender {settings.smtp_from}: "
                               f"{_reply(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"{self._where} answered {_reply(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ChannelError(f"{self._where} does not support what the settings ask for: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise ChannelError(f"the certificate of {self._where} is not trusted ({exc.verify_message}); if the "
                               f"relay has its own certificate, name it in smtp_cafile") from None
        except ssl.SSLError as exc:
            raise ChannelError(f"TLS with {self._where} failed: {exc.reason or exc}") from None
        except TimeoutError:
            raise ChannelError(f"no answer from {self._where} within {settings.smtp_timeout:g} s") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"cannot reach {self._where}: {exc}") from None

    def _password(self) -> str:
        if not self._settings.smtp_user:
            return ""
        name = self._settings.smtp_password_env
        password = os.environ.get(name)
        if password is None:
            raise ChannelError(f"smtp_user is set but the password variable {name} is not")
        if not (password + self._settings.smtp_user).isascii():
            # smtplib encodes AUTH responses as ASCII (python/cpython#73936) and would fail mid-login.
            raise ChannelError("the SMTP user or password has characters beyond plain ASCII, which Python's "
                               "smtplib cannot send; give the relay account an ASCII password")
        return password
