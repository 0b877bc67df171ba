"""SMS against a real HTTP gateway on loopback (http.server in a thread): the default and a custom JSON
body, the token header, a 500, a 400 quoting the number, a redirect, a gateway that never answers and
one that is down."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from agent.notify import FAILED, SENT, NotifySettings
from agent.notify.history import SENDING
from agent.notify.sms import fill
from tests.agent.desk import E164, PHONE, Desk, free_port, kinds_on_disk

TOKEN_ENV = "TEST_SMS_TOKEN"


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, status: int = 200, reply: bytes = b'{"ok": true}', headers: dict | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status, self.reply, self.headers = status, reply, headers or {}
        self.requests: list[tuple[str, dict, object]] = []
        self.hold = False
        self.release = threading.Event()
        self.witness: Callable[[], None] | None = None  # called as each request arrives

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms/send?account=shop"

    def handle_error(self, request, client_address) -> None:
        """A client that gave up on a held answer closed the socket: expected here, not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, dict(self.headers), json.loads(body.decode("utf-8"))))
        if self.server.witness:
            self.server.witness()
        if self.server.hold:
            self.server.release.wait(10)
        self.send_response(self.server.status)
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.server.reply)))
        self.end_headers()
        self.wfile.write(self.server.reply)

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def gateway(**options) -> Iterator[Gateway]:
    server = Gateway(**options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()



def texted(desk: Desk) -> int:
    return desk.draft(desk.customer(phone=PHONE, channel="sms"))


def test_the_default_body_carries_the_number_and_the_exact_text(desk):
    draft = texted(desk)
    with gateway() as server:
        notifier = desk.notifier(NotifySettings(sms_url=server.url))
        preview = notifier.preview(draft)
        result = notifier.send(draft, who="li")
    assert (result.state, result.channel, result.to, result.attempt) == ("sent", "sms", "138****8000", 1)
    ((path, headers, body),) = server.requests
    assert path == "/sms/send?account=shop" and headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Authorization" not in headers
    assert body == {"to": E164, "text": preview.body} and preview.subject is None
    (sent,) = desk.payloads(SENT)
    assert (sent["channel"], sent["to"], sent["outcome"], sent["who"]) == ("sms", "138****8000", "sent", "li")
    data = desk.file_bytes()
    assert PHONE.encode() not in data and E164.encode() not in data


def test_the_attempt_is_on_disk_before_the_gateway_hears_of_it(desk):
    draft, seen = texted(desk), []
    with gateway() as server:
        server.witness = lambda: seen.append(kinds_on_disk(desk.path))
        result = desk.notifier(NotifySettings(sms_url=server.url)).send(draft)
    assert seen == [[SENDING]] and result.state == "sent"
    assert [(p["channel"], p["to"], p["attempt"]) for p in desk.payloads(SENDING)] == [("sms", "138****8000", 1)]


def test_a_custom_body_and_token_header(desk, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "t0ken")
    template = {"mobile": "{to}", "content": "【测试店】{text}", "tags": ["{to}", 7], "sign": None}
    with gateway() as server:
        settings = NotifySettings(sms_url=server.url, sms_body=template, sms_token_env=TOKEN_ENV,
                                  sms_token_header="X-Api-Key", sms_token_scheme="")
        assert desk.notifier(settings).send(texted(desk)).state == "sent"
    ((_, headers, body),) = server.requests
    assert headers["X-Api-Key"] == "t0ken"
    assert body["mobile"] == E164 and body["content"].startswith("【测试店】您好")
    assert body["tags"] == [E164, 7] and body["sign"] is None
    assert b"t0ken" not in desk.file_bytes()


def test_a_bearer_token_by_default_and_a_missing_variable_named(desk, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "abc")
    with gateway() as server:
        settings = NotifySettings(sms_url=server.url, sms_token_env=TOKEN_ENV)
        assert desk.notifier(settings).send(texted(desk)).state == "sent"
        monkeypatch.delenv(TOKEN_ENV)
        missing = desk.notifier(settings).send(texted(desk))
    assert server.requests[0][1]["Authorization"] == "Bearer abc" and len(server.requests) == 1
    assert missing.error == f"sms_token_env names {TOKEN_ENV}, which is not set"


def test_braces_and_quotes_in_the_text_stay_text():
    assert fill({"t": "{text}", "n": "{to}"}, "+86138", 'a "{to}" }{') == {"t": 'a "{to}" }{', "n": "+86138"}


def test_a_server_error_is_retried_with_the_status_and_the_start_of_the_answer(desk):
    with gateway(status=500, reply=b"<html>\n  gateway   overloaded " + b"x" * 400) as server:
        result = desk.notifier(NotifySettings(sms_url=server.url)).send(texted(desk))
    assert (result.state, result.outcome) == ("failed", "failed") and result.retry_at is not None
    assert result.error.startswith("the SMS gateway answered HTTP 500: <html> gateway overloaded xxx")
    assert len(result.error) < 200 and "account=shop" not in result.error


def test_a_rejected_number_is_final_and_masked_in_the_journal(desk):
    reply = json.dumps({"error": f"invalid number {E164} ({PHONE})"}).encode()
    with gateway(status=400, reply=reply) as server:
        result = desk.notifier(NotifySettings(sms_url=server.url)).send(texted(desk))
    assert (result.outcome, result.retry_at) == ("failed_final", None)
    assert result.error == 'the SMS gateway answered HTTP 400: {"error": "invalid number 138****8000 (138****8000)"}'
    (failed,) = desk.payloads(FAILED)
    assert failed["error"] == result.error
    assert PHONE.encode() not in desk.file_bytes()


def test_a_redirect_is_not_followed(desk):
    with gateway(status=302, headers={"Location": "/elsewhere"}, reply=b"") as server:
        result = desk.notifier(NotifySettings(sms_url=server.url)).send(texted(desk))
    assert result.state == "failed" and "HTTP 302" in result.error and len(server.requests) == 1


def test_a_gateway_that_never_answers_times_out(desk):
    with gateway() as server:
        server.hold = True
        result = desk.notifier(NotifySettings(sms_url=server.url, sms_timeout=0.2)).send(texted(desk))
    assert (result.outcome, result.error) == ("failed", "no answer from the SMS gateway within 0.2 s")


def test_a_gateway_that_is_down(desk):
    result = desk.notifier(NotifySettings(sms_url=f"http://127.0.0.1:{free_port()}/")).send(texted(desk))
    assert result.state == "failed" and result.error.startswith("cannot reach the SMS gateway: ")
    assert "Connection refused" in result.error
