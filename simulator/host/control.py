"""A line of text → an action on the virtual acquirer, for people, replays and `recoup devices`.

Every answer starts with "ok" or "error", so a script can check it; an error names the word that was
wrong (by position, counting from 1) and what was expected there, because the person typing it is in
the middle of staging a failure and should not have to guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from domain.money import DEFAULT_CURRENCY, Money, MoneyError
from simulator.cardreader.wallet import WALLET
from simulator.host.faults import Fault, refusal_code
from simulator.host.ledger import CardKey, card_key
from simulator.host.rules import SETTLEMENT_ANSWERS, response_code

if TYPE_CHECKING:
    from simulator.host.server import VirtualAcquirer

HELP = """commands (answers start with ok or error):
  fault                               show the fault in force
  fault drop [COUNT] [echo]           apply the request, then close the connection without answering
  fault blackhole [COUNT]             read requests (echoes too) and never answer
  fault delay MS [COUNT] [echo]       answer after MS milliseconds
  fault reset [COUNT] [echo]          reset the connection before applying the request
  fault garbage BYTES [raw|framed] [COUNT] [echo]   answer with random bytes (framed unless raw)
  fault duplicate [COUNT] [echo]      send the response twice
  fault late SECONDS [COUNT] [echo]   hold the response SECONDS, then send it
  fault contradict [CODE] [COUNT] [echo]   answer, then take an approved sale back (reversed at the
                                      bank) and answer the same request again with CODE (default 96)
  fault clear                         no fault
      COUNT: N (the next N requests, default 1) or always (until cleared), after CODE if both are given;
      echo: echo tests (0800) count too, otherwise they pass untouched
  rule                                show the rules in force
  rule card CARD CODE | rule card CARD clear    answer CODE to every request with CARD
  rule next N CODE                    answer CODE to the next N sales, voids, refunds and reversals
  rule expiry on|off                  decline expired cards with 54 (default off)
  rule clear                          no overrides, expiry not checked
  link down | link up                 refuse connections (closing the open ones) / accept them again
  ledger [CARD]                       the entries (of one card) and the net charge per card
  settle [PATH]                       close all batches (the host's cut-over: a reversal of what it
                                      settled is then refused 12); write the settlement file to PATH
  settlement omit STAN | duplicate STAN | amount STAN AMOUNT | extra STAN AMOUNT | clear
                                      damage the next settlement file (extra: a line for a sale the
                                      terminal never sent)
  settlement answer [balanced|unbalanced|unavailable [COUNT]|normal]
                                      answer the next 0500(s) so whatever the totals (unavailable: 96);
                                      normal compares the totals again; alone, shows what is in force
  CARD: a wallet key (""" + ", ".join(WALLET) + """)
        or a card number; CODE: two digits, e.g. 51; AMOUNT: as typed at the till, e.g. 12.34"""


class ControlError(Exception):
    """A command that cannot be run, with the word to blame."""


class _Words:
    def __init__(self, line: str) -> None:
        self.words = line.split()
        self.index = 0

    @property
    def more(self) -> bool:
        return self.index < len(self.words)

    def take(self, expected: str) -> str:
        if not self.more:
            raise ControlError(f"missing word {self.index + 1}: expected {expected}")
        self.index += 1
        return self.words[self.index - 1]

    def wrong(self, expected: str) -> ControlError:
        """Blame the word just taken."""
        return ControlError(f"word {self.index} {self.words[self.index - 1]!r}: expected {expected}")

    def choice(self, options: Iterable[str], expected: str = "") -> str:
        options = tuple(options)
        expected = expected or "one of " + ", ".join(options)
        word = self.take(expected).lower()
        if word not in options:
            raise self.wrong(expected)
        return word

    def number(self, expected: str, *, whole: bool = True, minimum: float = 0) -> float:
        word = self.take(expected)
        try:
            value = int(word) if whole else float(word)
        except ValueError:
            raise self.wrong(expected) from None
        if not math.isfinite(value) or value < minimum:
            raise self.wrong(expected)
        return value

    def card(self) -> CardKey:
        expected = "a card: a wallet key (" + ", ".join(WALLET) + ") or a card number"
        try:
            return card_key(self.take(expected).lower())
        except ValueError:
            raise self.wrong(expected) from None

    def code(self) -> str:
        expected = "a response code, two digits such as 51"
        try:
            return response_code(self.take(expected))
        except ValueError:
            raise self.wrong(expected) from None

    def refusal(self, default: str) -> str:
        """An optional refusal code before the fault's options. Any word that is not an option is taken
        for the code, so "fault contradict 3" is blamed on its 3 instead of quietly meaning three times."""
        if not self.more or self.words[self.index].lower() in ("always", "echo"):
            return default
        expected = "a refusal code, two digits other than 00 such as 96 (give it before a count)"
        try:
            return refusal_code(self.take(expected))
        except ValueError:
            raise self.wrong(expected) from None

    def end(self) -> None:
        if self.more:
            raise ControlError(f"word {self.index + 1} {self.words[self.index]!r}: unexpected, the command "
                               f"is complete without it")


async def run(acquirer: VirtualAcquirer, line: str) -> str:
    words = _Words(line)
    if not words.more:
        return "error: empty command; 'help' lists the commands"
    acquirer._note(f"control: {line.strip()}")
    try:
        verb = words.choice(_COMMANDS, "a command: " + ", ".join(_COMMANDS))
        return "ok" + await _COMMANDS[verb](acquirer, words)
    except ControlError as exc:
        return f"error: {exc}"


async def _help(acquirer: VirtualAcquirer, words: _Words) -> str:
    words.end()
    return "\n" + HELP


async def _fault(acquirer: VirtualAcquirer, words: _Words) -> str:
    if not words.more:
        current = acquirer.faults.current
        return f": {current.describe() if current else 'no fault'}"
    kind = words.choice(("drop", "blackhole", "delay", "reset", "garbage", "duplicate", "late", "contradict",
                         "clear"))
    if kind == "clear":
        words.end()
        acquirer.clear_faults()
        return ": no fault"
    if kind == "delay":
        ms = words.number("the delay in milliseconds, a whole number such as 1500")
    elif kind == "late":
        seconds = words.number("how many seconds to hold the response, such as 35", whole=False)
    elif kind == "garbage":
        size = words.number("how many bytes, a whole number from 1 such as 16", minimum=1)
    elif kind == "contradict":
        code = words.refusal("96")
    times, echoes, framed = _fault_options(words, kind)
    fault: Fault
    if kind == "drop":
        fault = acquirer.drop_after_request(times, echoes=echoes)
    elif kind == "blackhole":
        fault = acquirer.black_hole(times)
    elif kind == "delay":
        fault = acquirer.delay(ms, times, echoes=echoes)
    elif kind == "reset":
        fault = acquirer.reset(times, echoes=echoes)
    elif kind == "garbage":
        fault = acquirer.garbage(int(size), framed=framed, times=times, echoes=echoes)
    elif kind == "duplicate":
        fault = acquirer.duplicate_response(times, echoes=echoes)
    elif kind == "contradict":
        fault = acquirer.contradict(code, times, echoes=echoes)
    else:
        fault = acquirer.late_response(seconds, times, echoes=echoes)
    return f": {fault.describe()}"


def _fault_options(words: _Words, kind: str) -> tuple[int | None, bool, bool]:
    """COUNT, 'echo' and (for garbage) 'raw'/'framed', in any order after the fault's own number."""
    times: int | None = 1
    echoes, framed = kind == "blackhole", True
    flags = ("echo",) if kind != "blackhole" else ()
    flags += ("raw", "framed") if kind == "garbage" else ()
    expected = "a count (a whole number from 1, or always)" + "".join(f" or {flag}" for flag in flags)
    while words.more:
        word = words.take(expected).lower()
        if word == "always":
            times = None
        elif word.isdecimal() and int(word) >= 1:
            times = int(word)
        elif word == "echo" and word in flags:
            echoes = True
        elif word in ("raw", "framed") and word in flags:
            framed = word == "framed"
        else:
            raise words.wrong(expected)
    return times, echoes, framed


async def _rule(acquirer: VirtualAcquirer, words: _Words) -> str:
    rules = acquirer.rules
    if not words.more:
        cards = ", ".join(f"{card} → {code}" for card, code in rules.cards.items()) or "none"
        upcoming = f"{rules.next_left} → {rules.next_code}" if rules.next_left else "none"
        return f": cards {cards}; next requests {upcoming}; expiry {'on' if rules.check_expiry else 'off'}"
    what = words.choice(("card", "next", "expiry", "clear"))
    if what == "card":
        card = words.card()
        if words.more and words.words[words.index].lower() == "clear":
            words.take("clear")
            words.end()
            rules.clear_card(card)
            return f": card {card} follows the normal rules"
        code = words.code()
        words.end()
        rules.set_card(card, code)
        return f": card {card} → {code}"
    if what == "next":
        count = int(words.number("how many requests, a whole number such as 2"))
        code = words.code()
        words.end()
        rules.set_next(count, code)
        return f": next {count} request(s) → {code}"
    if what == "expiry":
        rules.check_expiry = words.choice(("on", "off")) == "on"
        words.end()
        return f": expiry {'checked (54)' if rules.check_expiry else 'not checked'}"
    words.end()
    rules.clear()
    return ": no overrides, expiry not checked"


async def _link(acquirer: VirtualAcquirer, words: _Words) -> str:
    state = words.choice(("down", "up"))
    words.end()
    if state == "down":
        await acquirer.refuse_connections()
        return ": link down, connections refused"
    await acquirer.allow_connections()
    return ": link up, connections accepted"  # no port: a replay reads the same run to run


async def _ledger(acquirer: VirtualAcquirer, words: _Words) -> str:
    card = words.card() if words.more else None
    words.end()
    ledger = acquirer.ledger
    entries = ledger.for_card(card) if card else ledger.entries
    cards = [card] if card else list(dict.fromkeys(entry.card for entry in entries if entry.card))
    lines = [f"  {entry.describe()}" for entry in entries] or ["  no entries"]
    lines += [f"  net charge {key}: {DEFAULT_CURRENCY} {_minor_text(ledger.net_charge(key))}" for key in cards]
    return ":\n" + "\n".join(lines)


def _minor_text(minor: int) -> str:
    return ("-" if minor < 0 else "") + Money(abs(minor)).amount_text()


async def _settle(acquirer: VirtualAcquirer, words: _Words) -> str:
    path = words.take("a file path") if words.more else None
    words.end()
    try:
        entries = acquirer.settle(path)
    except OSError as exc:
        raise words.wrong(f"a file path that can be written ({exc.strerror})") from None
    return f": {len(entries)} entries settled" + (f", file {path}" if path else "")


async def _settlement(acquirer: VirtualAcquirer, words: _Words) -> str:
    faults = acquirer.settlement_faults
    what = words.choice(("omit", "duplicate", "amount", "extra", "answer", "clear"))
    if what == "answer":
        return _settlement_answer(acquirer, words)
    if what == "clear":
        words.end()
        faults.clear()
        return ": next settlement file undamaged"
    stan = int(words.number("a STAN, a whole number from 1 to 999999", minimum=1))
    if stan > 999_999:
        raise words.wrong("a STAN, a whole number from 1 to 999999")
    if what in ("amount", "extra"):
        expected = "the amount to write, such as 12.34"
        try:
            minor = Money.parse(words.take(expected)).minor
        except MoneyError:
            raise words.wrong(expected) from None
        words.end()
        (faults.amounts if what == "amount" else faults.extra)[stan] = minor
    else:
        words.end()
        (faults.omit if what == "omit" else faults.duplicate).add(stan)
    return f": next settlement file: {faults.describe()}"


def _settlement_answer(acquirer: VirtualAcquirer, words: _Words) -> str:
    if not words.more:
        return f": settlement answers: {acquirer.rules.settlement.describe()}"
    answer = words.choice((*SETTLEMENT_ANSWERS, "normal"))
    times: int | None = 1
    if answer != "normal" and words.more:
        expected = "a count (a whole number from 1, or always)"
        word = words.take(expected).lower()
        if word == "always":
            times = None
        elif word.isdecimal() and int(word) >= 1:
            times = int(word)
        else:
            raise words.wrong(expected)
    words.end()
    return f": settlement answers: {acquirer.settlement_answer(answer, times)}"


_COMMANDS = {
    "help": _help, "fault": _fault, "rule": _rule, "link": _link, "ledger": _ledger,
    "settle": _settle, "settlement": _settlement,
}
