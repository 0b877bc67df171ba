"""The committed flow diagrams are the ones the machines draw today."""

from __future__ import annotations

from pathlib import Path

from flows import FLOWS
from flows.diagrams import documents, main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "flows"


def test_the_committed_diagrams_are_up_to_date():
    for name, content in documents().items():
        path = DOCS / name
        assert path.is_file(), f"{path} is missing: run python -m flows.diagrams"
        assert path.read_text(encoding="utf-8") == content, f"{path} is out of date: run python -m flows.diagrams"


def test_each_diagram_shows_every_state_and_trigger_of_its_flow():
    for name, flow_class in FLOWS.items():
        text = documents()[f"{name}.md"]
        assert "```mermaid\n---\ntitle: " in text
        for state in flow_class.State:
            assert f'state "{state.name}" as {state.name}' in text
        for transition in flow_class("F1").machine_definition()["transitions"]:
            assert transition["trigger"] in text


def test_check_fails_on_stale_diagrams_and_passes_once_written(tmp_path, capsys):
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "run python -m flows.diagrams" in capsys.readouterr().err
    assert main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(documents())
    assert main(["--check", "--out", str(tmp_path)]) == 0


def test_the_readme_documents_the_command():
    assert "python -m flows.diagrams" in (DOCS / "README.md").read_text(encoding="utf-8")
