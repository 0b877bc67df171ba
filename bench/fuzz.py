"""Fuzzing: every core that reads what the outside world writes, fed random and mutated inputs.

The cores — the card reader in both wire formats, the ISO 8583 link, the virtual printer's ESC/POS
interpreter, the scenario loader and the config loader — each promise the same thing: whatever arrives
becomes an event or the core's own error naming the byte, field, key or line, never another exception,
never a hang. Each is fed mutations of real, valid input (the simulator's frames and swipes for the
wallet's cards, the virtual acquirer's answers to the messages the agent builds, the shared ESC/POS
fixtures and the project's own receipts, the scenario library, a full config), mutated by bit flips,
bytes set, inserted, deleted, repeated and spliced, truncation and grammar tokens, and, for the byte
streams, fed whole, a byte at a time and in random splits, which must all give the same events.

A target's `generate(choices)` makes one input from the choices it is handed — a seeded `random.Random`
here, Hypothesis in tests/fuzz, so the test suite shrinks what it finds — and `run(data)` feeds it and
says what came out. Anything `run` lets escape is a failure, saved to a file that `--replay` runs again.
Each input runs under a watchdog (SIGALRM where there is one): an input that takes longer than
`--limit` seconds is reported as a hang.

Usage: python -m bench.fuzz [--core NAME] [--examples N | --seconds S] [--seed N] [--limit S] [--out DIR]
       python -m bench.fuzz --core NAME --replay FILE
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import fuzz_files, fuzz_streams
from bench.fuzz_mutations import RandomChoices, Target

ROOT = Path(__file__).resolve().parents[1]


class Hang(BaseException):
    """The watchdog's: an input ran past its time. A BaseException, so no core's `except Exception`
    can swallow it."""


TARGETS: dict[str, Target] = {target.name: target for target in (*fuzz_streams.TARGETS, *fuzz_files.TARGETS)}


@contextmanager
def watchdog(limit: float) -> Iterator[None]:
    """Raise `Hang` in this thread after `limit` seconds. Without SIGALRM (Windows) nothing interrupts
    the input; its time is still measured and reported."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame) -> None:
        raise Hang(f"still running after {limit:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    began = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # someone else's alarm (pytest-timeout's) was running: give it back what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - began), 1e-3))


def signature(exc: BaseException) -> tuple[str, str]:
    """What a failure is, for counting it once: its type and where it was raised — the innermost line of
    the project's code, or of the fuzzer's own checks for a broken promise."""
    frames = [(Path(frame.filename).resolve(), frame.lineno) for frame in traceback.extract_tb(exc.__traceback__)]
    ours = [(path, line) for path, line in frames if ROOT in path.parents]
    project = [(path, line) for path, line in ours if path.relative_to(ROOT).parts[0] != "bench"]
    path, line = (project or ours or [(Path("?"), 0)])[-1]
    where = f"{path.relative_to(ROOT)}:{line}" if ROOT in path.parents else "?"
    return type(exc).__name__, where


@dataclass
class _Failure:
    error: str
    where: str
    data: bytes  # the smallest input that failed this way
    inputs: int = 0

    def saw(self, exc: BaseException, data: bytes) -> None:
        self.inputs += 1
        if len(data) < len(self.data):
            self.data, self.error = data, _describe(exc)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def fuzz(target: Target, *, examples: int | None, seconds: float | None, seed: int, limit: float,
         out: Path) -> dict:
    """Inputs from a seeded stream of choices until `examples` are tried or `seconds` are up; every failure
    counted once by its signature, its smallest input saved under `out`."""
    outcomes: Counter[str] = Counter()
    failures: dict[tuple[str, str], _Failure] = {}
    slowest = (0.0, 0)
    tried = 0
    started = time.perf_counter()
    while (examples is None or tried < examples) and (seconds is None or time.perf_counter() - started < seconds):
        data = target.generate(RandomChoices(random.Random(f"{seed}:{target.name}:{tried}")))
        tried += 1
        began = time.perf_counter()
        try:
            with watchdog(limit):
                seen = target.run(data)
            if time.perf_counter() - began > limit:  # no watchdog on this platform: late, not interrupted
                raise Hang(f"took {time.perf_counter() - began:.2f} s, more than {limit:g} s")
            outcomes.update(set(seen))
        except (Exception, Hang) as exc:
            key = signature(exc)
            outcomes[f"FAILED: {key[0]}"] += 1
            failures.setdefault(key, _Failure(_describe(exc), key[1], data)).saw(exc, data)
        took = time.perf_counter() - began
        slowest = max(slowest, (took, len(data)))
    elapsed = time.perf_counter() - started
    return {"about": target.about, "inputs": tried, "seconds": round(elapsed, 2),
            "inputs_per_second": round(tried / elapsed) if elapsed else None,
            "outcomes": dict(outcomes.most_common()),
            "failures": [_saved(target, failure, out) for failure in failures.values()],
            "slowest_input": {"ms": round(slowest[0] * 1000, 2), "bytes": slowest[1]}}


def _saved(target: Target, failure: _Failure, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{target.name}-{hashlib.sha256(failure.data).hexdigest()[:12]}{target.suffix}"
    path.write_bytes(failure.data)
    return {"error": failure.error, "where": failure.where, "inputs": failure.inputs, "reproducer": str(path),
            "bytes": len(failure.data)}


def replay(target: Target, path: Path, limit: float) -> dict:
    """One saved input through its core again: what came out, or the failure with its traceback."""
    data = path.read_bytes()
    try:
        with watchdog(limit):
            return {"core": target.name, "input": str(path), "outcomes": dict(Counter(target.run(data)))}
    except (Exception, Hang) as exc:
        return {"core": target.name, "input": str(path), "failure": _describe(exc), "where": signature(exc)[1],
                "traceback": traceback.format_exception(exc)[-6:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--core", choices=sorted(TARGETS), action="append",
                        help="a core to fuzz (repeatable); default: all of them")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--examples", type=int, help="inputs per core")
    budget.add_argument("--seconds", type=float, help="seconds per core (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same inputs")
    parser.add_argument("--limit", type=float, default=2.0, help="seconds one input may take before it is a hang")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz",
                        help="where failing inputs are saved")
    parser.add_argument("--replay", type=Path, help="run one saved input through --core again")
    args = parser.parse_args(argv)
    names = args.core or sorted(TARGETS)
    if args.replay:
        if len(names) != 1:
            parser.error("--replay needs exactly one --core")
        print(json.dumps(replay(TARGETS[names[0]], args.replay, args.limit), indent=2, ensure_ascii=False))
        return 0
    seconds = None if args.examples else (args.seconds or 10.0)
    cores = {name: fuzz(TARGETS[name], examples=args.examples, seconds=seconds, seed=args.seed, limit=args.limit,
                        out=args.out) for name in names}
    result = {"benchmark": "fuzz",
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": sys.platform},
              "seed": args.seed, "limit_s": args.limit, "escpos_fixtures": fuzz_streams.ESCPOS_FIXTURES.is_dir(),
              "cores": cores,
              "failures": sum(failure["inputs"] for core in cores.values() for failure in core["failures"])}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
