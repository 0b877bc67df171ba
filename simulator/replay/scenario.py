"""Scenario files: one failure at the counter, staged step by step, with what must be true along the way.

A scenario is YAML (`docs/scenarios.md`). It is checked whole before anything runs, so a typo on step 14
is reported at once — naming the file, the line, the step and the key — rather than after thirteen steps
of replay. Every scalar is read as the text that was written: YAML would otherwise turn `58.00` into a
float and `no` into False, and money is never a float here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from simulator.replay.steps import LAST, NO_SALE, STEPS, ExpectStep, Node, Step, StepError

DEFAULT_START = "2026-03-02T09:00:00+08:00"  # a Monday morning at the counter, in China Standard Time
TOP_KEYS = ("name", "seed", "start", "reader_format", "steps")
# Far beyond any scenario, and what stops aliases: a few lines of anchors and aliases (`&a`, `*a`) can stand
# for millions of values, or for themselves without end, and every value is read as text before replay.
MAX_DEPTH = 32
MAX_VALUES = 20_000


class ScenarioError(Exception):
    """A scenario that cannot be replayed as written: where, and what is wrong."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None, step: int | None = None,
                 key: str | None = None) -> None:
        self.path, self.line, self.step, self.key, self.message = str(path), line, step, key, message
        where = self.path + (f":{line}" if line is not None else "")
        about = ", ".join(part for part in (f"step {step}" if step is not None else "",
                                            f"key '{key}'" if key is not None else "") if part)
        super().__init__(f"{where}: {about + ': ' if about else ''}{message}")


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    steps: tuple[Step, ...]
    seed: int = 0
    start: datetime = field(default_factory=lambda: datetime.fromisoformat(DEFAULT_START))
    reader_format: str = "framed"

    @property
    def title(self) -> str:
        return f"{self.path.stem}: {self.name}"


def load(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, f"cannot read the file: {exc}") from None
    return parse(text, path)


def parse(text: str, path: Path = Path("<scenario>")) -> Scenario:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, f"not valid YAML: {problem}", line=mark.line + 1 if mark else None) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise ScenarioError(path, f"lists or mappings nested hundreds deep; a scenario nests {MAX_DEPTH} at most") \
            from None
    if not isinstance(root, yaml.MappingNode):
        raise ScenarioError(path, "a scenario is a mapping with name and steps", line=_line(root))
    _check_size(path, root)
    top = _mapping(path, root, None)
    for key, (key_node, _) in top.items():
        if key not in TOP_KEYS:
            raise ScenarioError(path, f"unknown key; a scenario has {', '.join(TOP_KEYS)}", line=_line(key_node),
                                key=key)
    name = _text(path, top, "name", required=True)
    seed_text = _text(path, top, "seed") or "0"
    if not re.fullmatch(r"\d{1,9}", seed_text):
        raise ScenarioError(path, f"{seed_text!r} is not a seed; give a whole number", line=_line(top["seed"][1]),
                            key="seed")
    start_text = _text(path, top, "start") or DEFAULT_START
    try:
        start = datetime.fromisoformat(start_text)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ScenarioError(path, f"{start_text!r} is not a time with its UTC offset, such as {DEFAULT_START}",
                            line=_line(top["start"][1]), key="start")
    fmt = _text(path, top, "reader_format") or "framed"
    if fmt not in ("framed", "msr"):
        raise ScenarioError(path, f"{fmt!r} is not a reader format; use framed or msr",
                            line=_line(top["reader_format"][1]), key="reader_format")
    if "steps" not in top:
        raise ScenarioError(path, "missing: the list of steps", key="steps")
    steps_node = top["steps"][1]
    if not isinstance(steps_node, yaml.SequenceNode) or not steps_node.value:
        raise ScenarioError(path, "steps is a list with at least one step", line=_line(steps_node), key="steps")
    steps = tuple(_step(path, number, node) for number, node in enumerate(steps_node.value, 1))
    _check_names(path, steps)
    return Scenario(path, name, steps, int(seed_text), start, fmt)


def _check_names(path: Path, steps: tuple[Step, ...]) -> None:
    """A step may name only a sale an earlier step gave that name (`sale: {amount: …, as: NAME}`)."""
    named: set[str] = set()
    for number, step in enumerate(steps, 1):
        alias = getattr(step, "alias", None)
        if alias is not None:
            if alias in named:
                raise ScenarioError(path, f"a sale is already called {alias!r}", line=step.line, step=number, key="as")
            named.add(alias)
        ref = getattr(step, "sale", LAST)
        if ref not in (LAST, NO_SALE) and ref not in named:
            given = f"; named so far: {', '.join(sorted(named))}" if named else ""
            raise ScenarioError(path, f"no earlier sale step is called {ref!r}{given}", line=step.line, step=number,
                                key="sale")
        if ref == NO_SALE and not isinstance(step, ExpectStep):
            raise ScenarioError(path, "'none' names no sale; only an expect step can be about no sale",
                                line=step.line, step=number, key="sale")


def _step(path: Path, number: int, node: yaml.Node) -> Step:
    keys = [k.value if isinstance(k, yaml.ScalarNode) else "?" for k, _ in node.value] \
        if isinstance(node, yaml.MappingNode) else []
    if sorted(keys) == ["expect", "within"]:  # `within` may sit beside `expect`, as well as inside it
        return _expect_within(path, number, node)
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        raise ScenarioError(path, "a step is one key and its value, such as `advance: 30s` (only expect may have "
                            "`within` beside it); keys: " + ", ".join(STEPS), line=_line(node), step=number)
    key_node, value = node.value[0]
    key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
    kind = STEPS.get(key)
    if kind is None:
        raise ScenarioError(path, "unknown step; steps are " + ", ".join(STEPS), line=_line(key_node), step=number,
                            key=key)
    return _parsed(path, number, kind, _plain(path, value, number), key, _line(node))


def _expect_within(path: Path, number: int, node: yaml.MappingNode) -> Step:
    parts = {k.value: v for k, v in node.value}
    value = _plain(path, parts["expect"], number)
    if not isinstance(value.value, dict):
        raise ScenarioError(path, "expected what must be true, as keys and values", line=value.line, step=number,
                            key="expect")
    if "within" in value.value:
        raise ScenarioError(path, "given twice (beside expect and inside it)", line=_line(parts["within"]),
                            step=number, key="within")
    merged = Node(value.value | {"within": _plain(path, parts["within"], number)}, value.line)
    return _parsed(path, number, STEPS["expect"], merged, "expect", _line(node))


def _parsed(path: Path, number: int, kind: type[Step], value: Node, key: str, line: int | None) -> Step:
    try:
        return kind.parse(value, line=line)
    except StepError as exc:
        raise ScenarioError(path, exc.message, line=exc.line or value.line, step=number,
                            key=exc.key or key) from None


def _plain(path: Path, node: yaml.Node, step: int) -> Node:
    """A YAML node as text, lists and dicts of text, each remembering its line for the error messages."""
    if isinstance(node, yaml.ScalarNode):
        return Node(node.value, _line(node))
    if isinstance(node, yaml.SequenceNode):
        return Node([_plain(path, item, step) for item in node.value], _line(node))
    items = {}
    for key_node, value in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ScenarioError(path, "a key is plain text", line=_line(key_node), step=step)
        if key_node.value in items:
            raise ScenarioError(path, "given twice", line=_line(key_node), step=step, key=key_node.value)
        items[key_node.value] = _plain(path, value, step)
    return Node(items, _line(node))


def _mapping(path: Path, node: yaml.MappingNode, step: int | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
        if key in found:
            raise ScenarioError(path, "given twice", line=_line(key_node), step=step, key=key)
        found[key] = (key_node, value)
    return found


def _text(path: Path, top: dict[str, tuple[yaml.Node, yaml.Node]], key: str, required: bool = False) -> str | None:
    if key not in top:
        if required:
            raise ScenarioError(path, "missing", key=key)
        return None
    node = top[key][1]
    if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
        raise ScenarioError(path, "give a single value", line=_line(node), key=key)
    return node.value.strip()


def _check_size(path: Path, root: yaml.Node) -> None:
    """Count the values the file stands for, aliases expanded, without recursing, before anything reads it."""
    pending, count = [(root, 1)], 0
    while pending:
        node, depth = pending.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise ScenarioError(path, f"nested more than {MAX_DEPTH} deep (an alias inside its own anchor?)",
                                line=_line(node))
        if count > MAX_VALUES:
            raise ScenarioError(path, f"stands for more than {MAX_VALUES} values once its aliases are expanded",
                                line=_line(node))
        if isinstance(node, yaml.SequenceNode):
            pending += [(item, depth + 1) for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            pending += [(part, depth + 1) for pair in node.value for part in pair]


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def dump(name: str, steps: list[Step], *, about: str = "", seed: int = 0, reader_format: str = "framed") -> str:
    """A scenario file for these steps, as `load` reads it back (what a recorded session is saved as)."""
    head = "".join(f"# {line}\n" for line in about.splitlines())
    body: dict[str, object] = {"name": name}
    if seed:
        body["seed"] = seed
    if reader_format != "framed":
        body["reader_format"] = reader_format
    body["steps"] = [{step.key: step.spec()} for step in steps]
    return head + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, default_flow_style=None, width=110)
