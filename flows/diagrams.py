"""Draw every flow's state machine as a mermaid diagram in docs/flows/<flow>.md.

The diagrams are drawn by `transitions`' own GraphMachine from the very states and transitions each
flow runs on, so they cannot drift from the code unnoticed: `--check` (and a test) fails when a
committed diagram differs from what the machines draw today.

    python -m flows.diagrams            # rewrite docs/flows/*.md
    python -m flows.diagrams --check    # exit 1 if any is out of date
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from types import SimpleNamespace

from transitions.extensions.diagrams import GraphMachine

from flows import FLOWS, Flow

DEFAULT_DIR = Path("docs/flows")


def mermaid(flow_class: type[Flow]) -> str:
    flow = flow_class("diagram")
    # transitions writes the title as the whole front matter; as a `title:` key mermaid shows it.
    machine = GraphMachine(model=SimpleNamespace(), initial=flow.State["IDLE"], graph_engine="mermaid",
                           show_conditions=True, title=f"title: {flow_class.name}", **flow.machine_definition())
    return machine.get_graph().source


def document(flow_class: type[Flow]) -> str:
    module = sys.modules[flow_class.__module__]
    summary = inspect.getdoc(module).split("\n\n")[0]  # type: ignore[union-attr]
    source = Path(module.__file__).name  # type: ignore[arg-type]
    return (
        f"# `{flow_class.name}`\n\n"
        f"{summary}\n\n"
        f"<!-- Drawn from the machine in flows/{source} by `python -m flows.diagrams`; do not edit. -->\n\n"
        f"Edges are labelled with triggers; `[condition]` guards an edge, `[internal]` keeps the state.\n\n"
        f"```mermaid\n{mermaid(flow_class)}\n```\n"
    )


def documents() -> dict[str, str]:
    """File name → content, for every flow."""
    return {f"{name}.md": document(flow_class) for name, flow_class in FLOWS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.diagrams", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="folder of the diagrams (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only check the diagrams are up to date")
    args = parser.parse_args(argv)
    stale = []
    for name, content in documents().items():
        path = args.out / name
        if path.exists() and path.read_text(encoding="utf-8") == content:
            continue
        if args.check:
            stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python -m flows.diagrams", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
