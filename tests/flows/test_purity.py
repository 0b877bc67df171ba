"""flows/ is pure: it imports none of the other layers and never reads a clock."""

from __future__ import annotations

import ast
from pathlib import Path

FLOWS_DIR = Path(__file__).resolve().parents[2] / "flows"
FORBIDDEN_PACKAGES = {"agent", "drivers", "simulator", "asyncio", "socket", "serial", "time", "random", "os"}
CLOCK_CALLS = {"now", "utcnow", "today", "monotonic", "time"}


def modules():
    return sorted(FLOWS_DIR.glob("*.py"))


def test_flows_import_only_the_domain_and_transitions():
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_PACKAGES, f"{path.name} imports {name}"


def test_flows_never_read_a_clock():
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno} calls .{node.func.attr}()"
