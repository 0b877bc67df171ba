"""Email against a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS with a self-signed
certificate made here, AUTH PLAIN and LOGIN, a refused login, an untrusted certificate, a refused
recipient, and a server that comes back after an outage on the virtual clock."""

from __future__ import annotations

import contextlib
import email
import ipaddress
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.notify import FAILED, SENT, NotifySettings
from tests.agent.desk import ATTEMPT_KEYS, EMAIL, PHONE, Desk, free_port

USER, PASSWORD, PASSWORD_ENV = "shop", "pa55-w0rd!", "TEST_SMTP_PASSWORD"


class Inbox:
    """The server's handler: keeps every message and may refuse recipients as a real relay does."""

    def __init__(self, refuse_with: str | None = None) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage, bool]] = []
        self.refuse_with = refuse_with

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_with:
            return self.refuse_with.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((envelope.rcpt_tos, message, session.ssl is not None))
        return "250 OK"


class Accounts:
    """aiosmtpd's authenticator: one account, and a note of each mechanism the client used."""

    def __init__(self) -> None:
        self.mechanisms: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.mechanisms.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@contextlib.contextmanager
def smtp_server(inbox: Inbox, port: int | None = None, **options) -> Iterator[int]:
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "recoup test relay")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_options(certificate):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return {"tls_context": context, "require_starttls": True, "auth_required": True, "auth_require_tls": True}



def relay(port: int, **settings) -> NotifySettings:
    settings.setdefault("smtp_starttls", False)
    return NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="shop@example.com", smtp_timeout=5,
                          **settings)


def emailed(desk: Desk, **details) -> int:
    return desk.draft(desk.customer(**({"email": EMAIL, "channel": "email"} | details)))


def test_the_message_is_exactly_the_preview_in_both_languages_customers_first(desk):
    inbox = Inbox()
    draft = emailed(desk, phone=PHONE)
    with smtp_server(inbox) as port:
        notifier = desk.notifier(relay(port))
        preview = notifier.preview(draft)
        result = notifier.send(draft, who="li")
    assert (result.state, result.channel, result.to, result.attempt) == ("sent", "email", "z***@example.com", 1)
    ((to, message, _),) = inbox.messages
    assert to == [EMAIL] and message["To"] == EMAIL and message["From"] == "shop@example.com"
    assert message["Subject"] == preview.subject
    assert preview.subject == "您的刷卡交易未完成，已冲正 / Your card payment was not completed and has been reversed"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == preview.body
    chinese, english = preview.body.split("\n\n——\n\n")
    assert chinese.startswith("您好") and english.startswith("Hello") and "411111******1111" in chinese
    (sent,) = desk.payloads(SENT)
    assert sent == {"draft": draft, "case_id": "case-1", "template": "network_drop.hold_released",
                    "channel": "email", "contact_id": sent["contact_id"], "to": "z***@example.com",
                    "outcome": "sent", "attempt": 1, "who": "li"}
    assert EMAIL.encode() not in desk.file_bytes()


def test_a_customer_with_a_foreign_number_reads_english_first(desk):
    inbox = Inbox()
    draft = emailed(desk, phone="+44 7911 123456")
    with smtp_server(inbox) as port:
        desk.notifier(relay(port)).send(draft)
    ((_, message, _),) = inbox.messages
    assert message["Subject"].startswith("Your card payment") and message.get_content().startswith("Hello")


def test_starttls_with_the_relays_own_certificate_and_auth_plain(desk, certificate, tls_options, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    inbox, accounts = Inbox(), Accounts()
    with smtp_server(inbox, authenticator=accounts, **tls_options) as port:
        result = desk.notifier(relay(port, smtp_starttls=True, smtp_cafile=certificate[0], smtp_user=USER,
                                     smtp_password_env=PASSWORD_ENV)).send(emailed(desk))
    assert result.state == "sent"
    assert accounts.mechanisms == ["PLAIN"]
    ((_, _, over_tls),) = inbox.messages
    assert over_tls
    assert PASSWORD.encode() not in desk.file_bytes()


def test_auth_login_when_the_relay_offers_only_login(desk, certificate, tls_options, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    inbox, accounts = Inbox(), Accounts()
    with smtp_server(inbox, authenticator=accounts, auth_exclude_mechanism=["PLAIN"], **tls_options) as port:
        result = desk.notifier(relay(port, smtp_starttls=True, smtp_cafile=certificate[0], smtp_user=USER,
                                     smtp_password_env=PASSWORD_ENV)).send(emailed(desk))
    assert result.state == "sent" and accounts.mechanisms == ["LOGIN"] and len(inbox.messages) == 1


def test_a_refused_login_fails_and_is_retried(desk, certificate, tls_options, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    inbox = Inbox()
    with smtp_server(inbox, authenticator=Accounts(), **tls_options) as port:
        result = desk.notifier(relay(port, smtp_starttls=True, smtp_cafile=certificate[0], smtp_user=USER,
                                     smtp_password_env=PASSWORD_ENV)).send(emailed(desk))
    assert (result.state, result.outcome) == ("failed", "failed")
    assert result.error.startswith(f"the SMTP server 127.0.0.1:{port} refused the login of 'shop': 535")
    assert inbox.messages == []
    (failed,) = desk.payloads(FAILED)
    assert set(failed) == ATTEMPT_KEYS | {"error"} and failed["error"] == result.error


def test_a_missing_password_variable_is_named(desk, certificate, tls_options, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with smtp_server(Inbox(), authenticator=Accounts(), **tls_options) as port:
        result = desk.notifier(relay(port, smtp_starttls=True, smtp_cafile=certificate[0], smtp_user=USER,
                                     smtp_password_env=PASSWORD_ENV)).send(emailed(desk))
    assert result.error == f"smtp_user is set but the password variable {PASSWORD_ENV} is not"


def test_a_password_smtplib_cannot_send_is_named_before_connecting(desk, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "密码pa55")
    result = desk.notifier(relay(free_port(), smtp_user=USER, smtp_password_env=PASSWORD_ENV)).send(emailed(desk))
    assert "beyond plain ASCII" in result.error


def test_a_certificate_nobody_vouches_for_is_not_trusted(desk, tls_options):
    inbox = Inbox()
    with smtp_server(inbox, **tls_options) as port:
        result = desk.notifier(relay(port, smtp_starttls=True)).send(emailed(desk))
    assert result.error == (f"the certificate of the SMTP server 127.0.0.1:{port} is not trusted (self-signed "
                            f"certificate); if the relay has its own certificate, name it in smtp_cafile")
    assert inbox.messages == []


def test_a_relay_without_starttls_is_not_used_when_starttls_is_required(desk):
    with smtp_server(Inbox()) as port:
        result = desk.notifier(relay(port, smtp_starttls=True)).send(emailed(desk))
    assert result.state == "failed" and "STARTTLS extension not supported" in result.error


def test_a_server_that_is_down(desk):
    port = free_port()
    result = desk.notifier(relay(port)).send(emailed(desk))
    assert result.error.startswith(f"cannot reach the SMTP server 127.0.0.1:{port}: ")
    assert "Connection refused" in result.error


def test_a_refused_recipient_is_given_up_at_once_and_its_address_never_journaled(desk):
    inbox = Inbox(refuse_with="550 5.1.1 <{address}>: no such mailbox")
    with smtp_server(inbox) as port:
        result = desk.notifier(relay(port)).send(emailed(desk, email="Zhang.San@Example.com"))
    assert (result.outcome, result.retry_at) == ("failed_final", None)
    assert result.error == (f"the SMTP server 127.0.0.1:{port} refused the recipient: 550 5.1.1 <Z***@example.com>: "
                            f"no such mailbox")
    assert b"example.com>: no such" in (data := desk.file_bytes()) and b"ang.san@" not in data.lower()


def test_a_declined_customer_gets_nothing(desk):
    inbox = Inbox()
    draft = desk.draft(desk.contacts.record_declined(case_id="case-1"))
    with smtp_server(inbox) as port:
        result = desk.notifier(relay(port)).send(draft, "email")
    assert result.state == "refused" and inbox.messages == []


def test_the_message_goes_once_the_relay_is_back(desk):
    port = free_port()
    draft = emailed(desk)
    notifier = desk.notifier(relay(port))
    assert notifier.send(draft).outcome == "failed"
    desk.clock.advance(60)
    assert [r.outcome for r in notifier.retry_due()] == ["failed"]
    inbox = Inbox()
    with smtp_server(inbox, port=port):
        desk.clock.advance(299)
        assert notifier.retry_due() == []
        desk.clock.advance(1)
        (result,) = notifier.retry_due()
    assert (result.state, result.attempt) == ("sent", 3) and len(inbox.messages) == 1
    desk.clock.advance(3600)
    assert notifier.retry_due() == [] and notifier.next_retry_at() is None
