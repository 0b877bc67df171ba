"""`recoup agent`: the cashier app at the counter, on the devices the config names (the built-in
simulated ones by default); `recoup agent --web` serves the same app to a browser, for a tablet at the counter.

One agent per journal. The agent drives the devices and is the only writer of the flows in its journal, so
a second `recoup agent` on the same journal — another terminal, or a second browser tab, since textual-serve
starts one app process per browser session — is refused: it exits with status 2 and "another recoup agent is
running on <journal>". The guard is an OS lock on a file beside the journal (`journal.sqlite.lock`), so it
is let go when the process ends however it ends; the file itself stays, and says which process holds it.

A browser session (`--served`, what `--web` runs) differs in two things: a refusal is shown in the browser
as well, and when the agent holding the journal is already closing — the same page reloaded, its old session
still shutting down — it waits for it (up to RELOAD_WAIT seconds) instead of refusing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.journal import JournalError
from agent.keys import KeyFileError
from flows.prompts import LANGUAGES

LOCK_SUFFIX = ".lock"
RELOAD_WAIT = 10.0  # seconds a browser session waits for the closing agent it replaces
POLL = 0.05  # seconds between looks at the lock while waiting for it
WEB_HOST, WEB_PORT = "127.0.0.1", 8000
_WIN_LOCK_OFFSET = 1 << 20  # Windows locks a byte range: one far past the text, which stays readable


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "agent", help="run the agent at the counter, with the cashier app",
        description="Open the cashier app and run the agent: card reader, receipt printer and acquirer link "
        "from the config's [reader], [printer] and [host] URLs. With no config, or profile = 'simulated', "
        "the built-in virtual devices are started in-process (sim://), so the app can be tried at once. "
        "One agent per journal: a second one is refused.")
    parser.add_argument("--language", choices=LANGUAGES, default="zh-CN",
                        help="the language the app opens in (a key switches it; default: %(default)s)")
    parser.add_argument("--web", action="store_true",
                        help="serve the app to a browser (textual-serve) instead of this terminal: each browser "
                        "session runs the agent, one at a time")
    parser.add_argument("--host", default=None,
                        help=f"with --web: the address to listen on (default: {WEB_HOST}, this PC only; "
                        "0.0.0.0 for a tablet on the shop's network — anyone who reaches it can use the till)")
    parser.add_argument("--port", type=int, default=None, help=f"with --web: the port (default: {WEB_PORT})")
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)  # one browser session of --web
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    if not args.web and (args.host is not None or args.port is not None):
        print("recoup agent: --host and --port go with --web", file=sys.stderr)
        return 2
    if args.web:
        return serve(args, settings)
    try:
        lock = AgentLock.acquire(settings.journal.path, wait=RELOAD_WAIT if args.served else 0.0)
    except AgentRunning as exc:
        return _cannot(args, exc)
    except OSError as exc:
        return _cannot(args, exc)
    with lock:
        try:
            return asyncio.run(_run(args, settings, lock))
        except (OSError, JournalError, KeyFileError) as exc:
            return _cannot(args, exc)


def _cannot(args: argparse.Namespace, problem: Exception) -> int:
    """Not started: said on stderr, and in the browser for a browser session (which would stay blank)."""
    refused = isinstance(problem, AgentRunning)
    said = f"recoup agent: {problem}" if refused else f"recoup agent: cannot start: {problem}"
    print(said, file=sys.stderr)
    if args.served:
        app = refusal_app(problem) if refused else notice_app(
            "recoup 收银程序无法启动 · The cashier app could not start.",
            "请把下面这行告诉店长或技术支持 · Tell the manager or support what it says below.", said)
        app.run()
    return 2


async def _run(args: argparse.Namespace, settings, lock: AgentLock) -> int:
    from agent.station import Station
    from agent.ui.app import CashierApp

    station = await Station.open(settings)
    app = CashierApp(station.counter, contacts=station.contacts, cases=station.cases, language=args.language,
                     tz=settings.cases.zone, settings=settings)
    services = asyncio.create_task(station.run())
    try:
        await app.run_async()
    finally:
        lock.closing()
        station.stop()
        await services
        await station.close()
    return 0


# -- one agent per journal ------------------------------------------------------------------------------


class AgentRunning(Exception):
    """Another agent holds the journal."""

    def __init__(self, journal: Path, holder: str) -> None:
        self.journal, self.holder = journal, holder
        held = f" ({holder})" if holder else ""
        super().__init__(f"another recoup agent is running on {journal}{held}; close it first — one agent "
                         f"drives the devices and writes the journal")


class AgentLock:
    """An exclusive OS lock on `<journal>.lock`, held while the agent runs. Its text names the holder:
    `pid 1234 running`, then `pid 1234 closing` once the agent has begun to shut down."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd

    @classmethod
    def acquire(cls, journal: Path, *, wait: float = 0.0, sleep: Callable[[float], Any] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> AgentLock:
        """Take the lock, or raise AgentRunning. With `wait`, an agent found closing is waited for that long;
        one still running is refused at once."""
        journal = Path(journal).resolve()
        path = journal.with_name(journal.name + LOCK_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        try:
            deadline = clock() + wait
            while not _try_lock(fd):
                holder = _read(fd)
                if not holder.endswith(" closing") or clock() >= deadline:
                    raise AgentRunning(journal, holder)
                sleep(POLL)
            lock = cls(path, fd)
            lock._write("running")
            return lock
        except BaseException:
            os.close(fd)
            raise

    def closing(self) -> None:
        """Say the agent is shutting down: a browser session replacing it may wait instead of refusing."""
        if self._fd is not None:
            self._write("closing")

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)  # the text stays: it is only read while the lock is held, and then it is the holder's
        finally:
            os.close(fd)

    def __enter__(self) -> AgentLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

    def _write(self, state: str) -> None:
        """Overwrite, then cut to length: one waiting for the lock never reads it empty ("running" and
        "closing" are the same length)."""
        text = f"pid {os.getpid()} {state}".encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, text)
        os.ftruncate(self._fd, len(text))


def _read(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""


if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def refusal_app(refused: AgentRunning):
    """What a browser session shows when it is refused: the reason, in both languages, until a key is pressed
    (the session then ends; reload the page once the other agent is closed)."""
    return notice_app("另一个 recoup 收银程序正在运行，同一时间只能运行一个 · Another recoup agent is running.",
                      "请先关闭它（另一个浏览器标签页或终端），再刷新本页 · Close it (another browser tab or "
                      "a terminal), then reload this page.", f"recoup agent: {refused}")


def notice_app(heading: str, advice: str, detail: str):
    """A one-screen app that says why the agent did not start, until a key is pressed."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    message = Text.assemble((heading + "\n", "bold"), advice + "\n\n", detail + "\n\n",
                            ("按任意键结束 · Press any key to close", "dim"))

    class Notice(App[None]):
        ENABLE_COMMAND_PALETTE = False
        TITLE = "recoup"
        CSS = "Static { margin: 1 2; }"

        def compose(self) -> ComposeResult:
            yield Static(message)

        def on_key(self) -> None:
            self.exit()

    return Notice()


# -- in a browser ----------------------------------------------------------------------------------------


def session_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve runs for each browser session: this same `recoup agent`, in this
    Python, with the same config, as one browser session."""
    argv = [sys.executable, "-m", "agent.cli"]
    if args.config is not None:
        argv += ["--config", str(Path(args.config).resolve())]
    argv += ["agent", "--language", args.language, "--served"]
    return subprocess.list2cmdline(argv) if os.name == "nt" else shlex.join(argv)


def web_server(args: argparse.Namespace):
    """The textual-serve server for `--web`. The page it serves points the browser back at the address the
    browser used (not at the listening address, which for 0.0.0.0 no tablet can reach)."""
    from textual_serve.server import Server

    class CounterServer(Server):
        async def handle_index(self, request):
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

    return CounterServer(session_command(args), host=args.host or WEB_HOST,
                         port=args.port if args.port is not None else WEB_PORT, title="recoup")


def serve(args: argparse.Namespace, settings) -> int:
    try:
        AgentLock.acquire(settings.journal.path).release()  # an agent already running: say so now, not per tab
    except AgentRunning as exc:
        print(f"recoup agent: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"recoup agent: cannot start: {exc}", file=sys.stderr)
        return 2
    server = web_server(args)
    try:
        server.serve()
    except OSError as exc:  # the port taken, the address not ours
        print(f"recoup agent: cannot serve on {server.host}:{server.port}: {exc}", file=sys.stderr)
        return 2
    return 0
