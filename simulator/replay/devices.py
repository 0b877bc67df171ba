"""What a person does at the virtual card reader and printer, as one line of text: the words `recoup devices`
takes on its input and a scenario's `reader:` and `printer:` steps. Parsed apart from being done, so a
scenario is checked before it runs; an error names the word to blame, as the acquirer's commands do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from domain.events import EntryMode, PrinterCondition
from simulator.cardreader.wallet import WALLET

ACQUIRER_VERBS = ("fault", "rule", "link", "ledger", "settle", "settlement", "help")
READER_HELP = """reader commands:
  present CARD [swipe|chip|tap]   present a card from the wallet (e.g. 'present visa chip')
  bad                             a bad swipe / unreadable card
  noise [N]                       N bytes of line noise (default 16)
  corrupt RATE                    corrupt that fraction of the bytes the reader sends (0 to stop)
  unplug / replug                 pull and reconnect the reader's cable"""
PRINTER_HELP = """printer commands:
  paper near|end|ok               the paper roll: near its end, run out, or loaded
  cover open|closed               open or close the cover
  offline / online                take the printer offline, or back online
  silent on|off                   stop (or resume) answering status requests
  silent after receipt            stop answering once the next receipt is out (the check after it gets no reply)
  paper end|cover open|offline after N   the same, N bytes into what is printed next (mid-receipt)"""
_CONDITIONS = {("paper", "near"): PrinterCondition.PAPER_NEAR_END, ("paper", "end"): PrinterCondition.PAPER_END,
               ("cover", "open"): PrinterCondition.COVER_OPEN, ("offline",): PrinterCondition.OFFLINE}


class DeviceCommandError(ValueError):
    """A device command that cannot be done, with the word to blame."""


@dataclass(frozen=True)
class ReaderCommand:
    verb: str  # present, bad, noise, corrupt, unplug, replug
    card: str | None = None
    mode: EntryMode = EntryMode.SWIPE
    count: int = 16
    rate: float = 0.0

    def apply(self, reader: Any, port: Any) -> None:
        """Do it at `reader` (a VirtualReader) on its line `port` (a pty or TCP port)."""
        if self.verb == "present":
            reader.present(self.card, self.mode)
        elif self.verb == "bad":
            reader.bad_swipe()
        elif self.verb == "noise":
            reader.noise(self.count)
        elif self.verb == "corrupt":
            reader.corrupt_rate = self.rate
        elif self.verb == "unplug":
            port.unplug() if hasattr(port, "unplug") else port.drop()
        elif hasattr(port, "plug"):
            port.plug()
        else:
            raise DeviceCommandError("word 1 'replug': a reader on TCP reconnects by itself; only a serial "
                                     "line is plugged back in")


@dataclass(frozen=True)
class PrinterCommand:
    condition: PrinterCondition | None  # None: silence
    on: bool
    after: int | None = None  # bytes into what is printed next
    after_receipt: bool = False  # silence only: from the moment the next receipt is cut

    def apply(self, printer: Any) -> None:
        """Do it at `printer` (a VirtualPrinter)."""
        if self.condition is None and self.after_receipt:
            _fall_silent_after_receipt(printer)
        elif self.condition is None:
            printer.silent = self.on
        elif self.after is not None:
            printer.fail_after(self.after, self.condition)
        elif self.condition is PrinterCondition.PAPER_END and not self.on:
            printer.set(PrinterCondition.PAPER_END, False)
            printer.set(PrinterCondition.PAPER_NEAR_END, False)
        else:
            printer.set(self.condition, self.on)
            if self.condition is PrinterCondition.PAPER_NEAR_END:
                printer.set(PrinterCondition.PAPER_END, False)


def _fall_silent_after_receipt(printer: Any) -> None:
    """The printer goes quiet between the receipt and the status read after it: the paper came out whole
    but the agent cannot hear so. Told of each receipt as its cut is read, it stops answering at the first."""
    armed = [True]

    def receipt_out(_: Any) -> None:
        if armed:
            armed.clear()
            printer.silent = True

    printer.observers.append(receipt_out)


def _wrong(words: list[str], index: int, expected: str) -> DeviceCommandError:
    if index >= len(words):
        return DeviceCommandError(f"missing word {index + 1}: expected {expected}")
    return DeviceCommandError(f"word {index + 1} {words[index]!r}: expected {expected}")


def _end(words: list[str], index: int) -> None:
    if len(words) > index:
        raise DeviceCommandError(f"word {index + 1} {words[index]!r}: unexpected, the command is complete without it")


def reader_command(line: str) -> ReaderCommand:
    words = line.split()
    verbs = ("present", "bad", "noise", "corrupt", "unplug", "replug")
    verb = words[0].lower() if words else ""
    if verb not in verbs:
        raise _wrong(words, 0, "a reader command: " + ", ".join(verbs))
    if verb == "present":
        card = words[1].lower() if len(words) > 1 else ""
        if card not in WALLET:
            raise _wrong(words, 1, "a card from the wallet: " + ", ".join(WALLET))
        mode = EntryMode.SWIPE
        if len(words) > 2:
            try:
                mode = EntryMode(words[2].lower())
            except ValueError:
                raise _wrong(words, 2, "how it is presented: " + ", ".join(m.value for m in EntryMode)) from None
        _end(words, 3)
        return ReaderCommand("present", card, mode)
    if verb == "noise":
        count = 16
        if len(words) > 1:
            if not words[1].isdecimal() or not 1 <= int(words[1]) <= 4096:
                raise _wrong(words, 1, "how many bytes, a whole number from 1 to 4096")
            count = int(words[1])
        _end(words, 2)
        return ReaderCommand("noise", count=count)
    if verb == "corrupt":
        try:
            rate = float(words[1]) if len(words) > 1 else math.nan
        except ValueError:
            rate = math.nan
        if not 0 <= rate <= 1:
            raise _wrong(words, 1, "the fraction of bytes to corrupt, from 0 to 1 such as 0.05")
        _end(words, 2)
        return ReaderCommand("corrupt", rate=rate)
    _end(words, 1)
    return ReaderCommand(verb)


def printer_command(line: str) -> PrinterCommand:
    words = [word.lower() for word in line.split()]
    verbs = ("paper", "cover", "offline", "online", "silent")
    if not words or words[0] not in verbs:
        raise _wrong(words, 0, "a printer command: " + ", ".join(verbs))
    verb, index = words[0], 1
    if verb == "silent":
        if len(words) < 2 or words[1] not in ("on", "off", "after"):
            raise _wrong(words, 1, "on, off or 'after receipt'")
        if words[1] == "after":
            if len(words) < 3 or words[2] != "receipt":
                raise _wrong(words, 2, "receipt (silence comes after a whole receipt, not a byte count)")
            _end(words, 3)
            return PrinterCommand(None, True, after_receipt=True)
        _end(words, 2)
        return PrinterCommand(None, words[1] == "on")
    if verb in ("paper", "cover"):
        states = ("near", "end", "ok") if verb == "paper" else ("open", "closed")
        if len(words) < 2 or words[1] not in states:
            raise _wrong(words, 1, " or ".join(states))
        index = 2
    key = tuple(words[:index])
    condition = _CONDITIONS.get(key)
    if len(words) > index:
        if condition is None or words[index] != "after":
            raise _wrong(words, index, "'after N' (paper end, cover open and offline can come mid-receipt)"
                         if condition is not None else "nothing more")
        if len(words) < index + 2 or not words[index + 1].isdecimal():
            raise _wrong(words, index + 1, "how many bytes into the next job, a whole number")
        _end(words, index + 2)
        return PrinterCommand(condition, True, int(words[index + 1]))
    if verb == "online":
        return PrinterCommand(PrinterCondition.OFFLINE, False)
    if key == ("paper", "ok"):
        return PrinterCommand(PrinterCondition.PAPER_END, False)
    if key == ("cover", "closed"):
        return PrinterCommand(PrinterCondition.COVER_OPEN, False)
    assert condition is not None
    return PrinterCommand(condition, True)
