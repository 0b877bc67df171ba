"""The simulator's session without its panels: what the person does, as steps through the replay engine, and
the recording they make — down to the sale a recovery action is pressed for, which the recording names when
it is not the latest, so the replay acts on the same flow."""

from __future__ import annotations

import asyncio

from domain.money import Money
from simulator.app.session import Session
from simulator.replay.engine import Replay
from simulator.replay.scenario import load
from simulator.replay.steps import ReaderStep, SaleStep, WrongCardStep


class Notes:
    """A watcher that keeps the prompts and the log lines."""

    def __init__(self) -> None:
        self.prompts: list[tuple[str, str]] = []
        self.lines: list[str] = []

    def prompted(self, flow_id, flow, prompt, sale_id, live) -> None:
        self.prompts.append((flow_id, prompt.prompt_id))

    def line(self, at, source, text) -> None:
        self.lines.append(f"{source} {text}")

    def __getattr__(self, name):
        return lambda *_: None


def test_a_recovery_of_an_older_sale_is_named_in_the_recording_and_replays(tmp_path):
    record = tmp_path / "wrong-card.yaml"
    notes = Notes()

    async def main() -> None:
        session = Session(notes, record=record)
        session.open()
        session.submit(SaleStep(Money.parse("45.00")))
        session.submit(ReaderStep("present amex chip"))
        session.submit(WrongCardStep())
        await session.idle()
        wrong = next(flow for flow, prompt in notes.prompts if prompt == "wrong_card.confirm")
        session.act(wrong, "confirm_wrong_card")
        session.act(wrong, "another_card")
        session.submit(ReaderStep("present mastercard chip"))  # the right card: now the latest sale
        await session.idle()
        session.contact(wrong, (("phone", "13700137000"), ("channel", "sms"), ("consent", "true")))
        session.expect()
        await session.idle()
        assert all(result.ok for result, _ in session.ran), [r.detail for r, _ in session.ran if not r.ok]
        await session.close()

    asyncio.run(main())
    scenario = load(record)
    described = [step.describe() for step in scenario.steps]
    assert described[0] == "sale: {amount: '45.00', as: sale1}"
    assert described[6] == "contact: {phone: '13700137000', channel: sms, consent: 'true', sale: sale1}"
    assert dict(scenario.steps[7].checks)["state"] == "APPROVED"  # the right card's sale
    assert any(line.startswith("agent case_resolved") for line in notes.lines)

    result = asyncio.run(Replay(scenario, tmp_path / "replay").run())
    assert result.passed, result.failure
