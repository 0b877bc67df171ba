"""`recoup agent --web` and one agent per journal.

The web server is textual-serve's, started for real on an ephemeral port in the test's loop; each browser
session it opens runs `recoup agent` in a process of its own, on the simulated station of a config in the
test's folder. A second session while the first runs is refused in the browser; a reloaded page waits for the
session it replaces to close. Nothing waits on the wall clock but for the processes to answer.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from textual.app import App
from textual_serve.app_service import AppService
from textual_serve.server import Server

from agent.cli import build_parser, main
from agent.commands.counter_app import AgentLock, AgentRunning, refusal_app, web_server
from tests.ui.cashier import screen_lines

ANSWER = 60.0  # seconds for a session's process to start and draw: generous, it is only an upper bound


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "recoup.toml"
    config.write_text(f'[journal]\npath = "{(tmp_path / "journal.sqlite").as_posix()}"\n'
                      f'[contacts]\nkey_file = "{(tmp_path / "contact.key").as_posix()}"\n'
                      f'[cards]\nhash_key_file = "{(tmp_path / "card-hash.key").as_posix()}"\n', encoding="utf-8")
    return config


@pytest.fixture
def served(monkeypatch):
    """Server.serve, recorded instead of run."""
    servers: list[Server] = []
    monkeypatch.setattr(Server, "serve", lambda self, debug=False: servers.append(self))
    return servers


# -- the command ----------------------------------------------------------------------------------------


def test_web_serves_this_agent_with_the_same_config_per_browser_session(tmp_path, served):
    config = write_config(tmp_path)
    assert main(["--config", str(config), "agent", "--web", "--host", "0.0.0.0", "--port", "8123",
                 "--language", "en"]) == 0
    (server,) = served
    assert (server.host, server.port, server.title) == ("0.0.0.0", 8123, "recoup")
    assert shlex.split(server.command) == [sys.executable, "-m", "agent.cli", "--config", str(config.resolve()),
                                           "agent", "--language", "en", "--served"]


def test_web_defaults_to_this_pc_only_on_port_8000(tmp_path, served):
    assert main(["--config", str(write_config(tmp_path)), "agent", "--web"]) == 0
    (server,) = served
    assert (server.host, server.port) == ("127.0.0.1", 8000)
    assert shlex.split(server.command)[-3:] == ["--language", "zh-CN", "--served"]


def test_host_and_port_go_with_web(tmp_path, capsys, served):
    assert main(["--config", str(write_config(tmp_path)), "agent", "--port", "8123"]) == 2
    assert "--host and --port go with --web" in capsys.readouterr().err
    assert served == []


# -- one agent per journal ------------------------------------------------------------------------------


def test_a_second_agent_on_the_same_journal_is_refused(tmp_path, capsys, served):
    config = write_config(tmp_path)
    journal = (tmp_path / "journal.sqlite").resolve()
    with AgentLock.acquire(journal) as lock:
        assert lock.path == tmp_path.resolve() / "journal.sqlite.lock"
        assert main(["--config", str(config), "agent"]) == 2
        err = capsys.readouterr().err
        assert f"another recoup agent is running on {journal}" in err and "running)" in err
        assert main(["--config", str(config), "agent", "--web"]) == 2  # not even the server starts
        assert f"another recoup agent is running on {journal}" in capsys.readouterr().err
        assert served == []
        with pytest.raises(AgentRunning):
            AgentLock.acquire(journal, wait=5.0, sleep=pytest.fail)  # running, not closing: refused at once
    AgentLock.acquire(journal).release()  # let go: the next one takes it
    assert not (tmp_path / "journal.sqlite").exists()  # refused before anything was opened


def test_a_session_replacing_a_closing_agent_waits_for_it(tmp_path):
    journal = tmp_path / "journal.sqlite"
    old = AgentLock.acquire(journal)
    old.closing()
    looks: list[float] = []

    def sleep(seconds: float) -> None:  # the old agent finishes while the new one waits
        looks.append(seconds)
        old.release()

    with AgentLock.acquire(journal, wait=10.0, sleep=sleep) as new:
        assert looks == [0.05]
        assert new.path.read_text().endswith(" running")


def test_a_closing_agent_that_never_finishes_is_refused_after_the_wait(tmp_path):
    journal = tmp_path / "journal.sqlite"
    now = [0.0]
    with AgentLock.acquire(journal) as old:
        old.closing()
        with pytest.raises(AgentRunning, match="closing"):
            AgentLock.acquire(journal, wait=10.0, sleep=lambda s: now.__setitem__(0, now[0] + s),
                              clock=lambda: now[0])
    assert now[0] >= 10.0


def test_the_refusal_shown_in_the_browser(tmp_path):
    async def scenario() -> None:
        app = refusal_app(AgentRunning(tmp_path / "journal.sqlite", "pid 7 running"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = "\n".join(screen_lines(app))
            assert "另一个 recoup 收银程序正在运行" in screen
            assert "another recoup agent is running on" in screen
            await pilot.press("x")
        assert app.return_code == 0

    asyncio.run(scenario())


def test_a_browser_session_that_cannot_start_says_why_in_the_browser(tmp_path, capsys, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")
    config = tmp_path / "recoup.toml"
    config.write_text(f'[journal]\npath = "{(tmp_path / "not-a-folder" / "journal.sqlite").as_posix()}"\n',
                      encoding="utf-8")
    shown: list[App] = []
    monkeypatch.setattr(App, "run", lambda self, *a, **k: shown.append(self))  # the browser's screen, kept
    assert main(["--config", str(config), "agent", "--served"]) == 2
    assert "recoup agent: cannot start:" in capsys.readouterr().err

    async def look() -> str:
        async with shown[0].run_test(size=(80, 24)):
            return "\n".join(screen_lines(shown[0]))

    screen = asyncio.run(look())
    assert "The cashier app could not start" in screen and "cannot start:" in screen


# -- a real server, real browser sessions ------------------------------------------------------------------


class Tab:
    """A browser tab on the server: its websocket, and what the app has drawn in it so far."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.seen = ws, ""

    async def shows(self, text: str) -> None:
        async def read() -> None:
            while text not in self.seen:
                message = await self.ws.receive()
                if message.type is aiohttp.WSMsgType.BINARY:
                    self.seen += message.data.decode("utf-8", "replace")
                elif message.type is not aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"the session ended ({message.type}) before showing {text!r}: "
                                         f"{self.seen[-400:]!r}")
        await asyncio.wait_for(read(), ANSWER)


def test_a_browser_gets_the_page_and_one_session_runs_the_agent_at_a_time(tmp_path, monkeypatch):
    config = write_config(tmp_path)
    journal = tmp_path / "journal.sqlite"
    sessions: list[asyncio.subprocess.Process] = []  # each browser session's process, as textual-serve starts it
    start = AppService._open_app_process

    async def open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        sessions.append(await start(self, width, height))
        return sessions[-1]

    monkeypatch.setattr(AppService, "_open_app_process", open_app_process)

    async def scenario() -> None:
        server = web_server(build_parser().parse_args(["--config", str(config), "agent", "--web"]))
        runner = web.AppRunner(await server._make_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as browser:
                async with browser.get(base + "/") as page:
                    assert page.status == 200
                    html = await page.text()
                assert "<html" in html.lower() and f"ws://127.0.0.1:{port}/ws" in html
                async with browser.get(base + "/", headers={"Host": f"counter-pc.local:{port}"}) as page:
                    assert f"ws://counter-pc.local:{port}/ws" in await page.text()  # where the tablet came from

                first = Tab(await browser.ws_connect(base + "/ws?width=80&height=24"))
                await first.shows("读卡器")  # the counter screen, on the simulated station
                second = Tab(await browser.ws_connect(base + "/ws?width=80&height=24"))
                await second.shows("another recoup agent is running on")
                await first.ws.close()
                await second.ws.close()
                reloaded = Tab(await browser.ws_connect(base + "/ws?width=80&height=24"))
                await reloaded.shows("读卡器")  # the page reloaded: it waited for the first session to close
                await reloaded.ws.close()
            for process in sessions:  # a closed tab's agent quits (textual-serve does not wait for it)
                await asyncio.wait_for(process.wait(), ANSWER)
                process.stdin.close()
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    assert [process.returncode for process in sessions] == [0, 2, 0]  # the second tab's agent: refused
    AgentLock.acquire(journal).release()  # every agent went with its tab: the journal is free again
