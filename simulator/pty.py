"""The device end of a serial line on a pty (Linux/macOS), shared by every virtual device that sits on one.

The agent opens the other end as it would a USB serial adapter. A pty can be published under a stable
link path, the way udev publishes /dev/serial/by-id/…, so that unplugging and replugging gives a new pty
behind the same name the agent was configured with.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from abc import ABC, abstractmethod
from pathlib import Path


class PtyPort(ABC):
    """A device's serial port on a pty. `url` is what the agent opens: the link, if given, or the pty itself.

    The device behind it says what arrives for it, and what plugging in and pulling out mean to it."""

    def __init__(self, link: Path | None = None) -> None:
        self.link = link
        self._master: int | None = None
        self._slave: int | None = None
        self._pending = bytearray()
        self.slave_name = ""

    @property
    def url(self) -> str:
        return str(self.link) if self.link else self.slave_name

    @abstractmethod
    def received(self, data: bytes) -> None:
        """Bytes the agent wrote, as they arrive."""

    @abstractmethod
    def plugged_in(self) -> None:
        """The line is up; nothing has arrived on it yet."""

    @abstractmethod
    def pulled_out(self) -> None:
        """The line is gone; nothing more arrives, and nothing written reaches the agent."""

    def plug(self) -> str:
        """Open a new pty and publish it; what the agent writes is received on the running loop."""
        import tty

        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/NL translation before the agent opens it
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.slave_name = os.ttyname(slave)
        if self.link is not None:
            # The link is swapped in one rename, so the agent never finds the name missing or dangling.
            temp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            temp.symlink_to(self.slave_name)
            os.replace(temp, self.link)
        self.plugged_in()
        asyncio.get_running_loop().add_reader(master, self._readable)
        return self.url

    def unplug(self) -> None:
        """Like pulling the USB cable: the agent's next read or write fails. Unsent bytes are lost with it,
        and the published name goes too, as udev removes a pulled adapter's: left behind, it would point at
        a pty number the system gives the next terminal that opens — another program's line."""
        if self._master is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        loop.remove_writer(self._master)
        self._pending.clear()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)  # type: ignore[arg-type]
        self._master = self._slave = None
        self._unpublish()
        self.pulled_out()

    def close(self) -> None:
        self.unplug()
        self._unpublish()

    def _unpublish(self) -> None:
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    def write(self, data: bytes) -> None:
        self._pending.extend(data)
        self._flush()

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except OSError:
            return  # nothing yet, or the agent closed its end; the pty stays ours until unplug
        if data:
            self.received(data)

    def _flush(self) -> None:
        """Write what the pty takes now; wait for it to drain before writing the rest."""
        if self._master is None:
            self._pending.clear()  # unplugged: a device writing to a pulled cable sends nothing
            return
        loop = asyncio.get_running_loop()
        try:
            written = os.write(self._master, self._pending) if self._pending else 0
        except BlockingIOError:
            written = 0
        del self._pending[:written]
        if self._pending:
            loop.add_writer(self._master, self._flush)
        else:
            loop.remove_writer(self._master)
