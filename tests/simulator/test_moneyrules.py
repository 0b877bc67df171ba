"""The money-rules audit says so when a rule is broken: every bench and test that finds "no violation"
relies on it being able to find one. Each case is built for real — a journal on disk, the acquirer's
ledger, paper as the virtual printer reads it back."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.journal import Journal
from domain.money import Money
from drivers.printer.layout import DUPLICATE
from simulator import moneyrules
from simulator.host.ledger import CardKey, Entry, Kind, Ledger

TERMINAL = "TERM0001"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def ledger_with(stan: int, code: str = "00") -> Ledger:
    ledger = Ledger()
    ledger.record(Entry(Kind.SALE, TERMINAL, "MERCHANT0000001", stan, CardKey.of("4111111111111111"),
                        Money(5800), code, f"{stan:012d}", AT))
    return ledger


def receipt(sale: str, stan: str, *, duplicate: bool = False) -> str:
    lines = [DUPLICATE] if duplicate else []
    return "\n".join([*lines, f"交易编号 SALE ID        {sale}", "合计 TOTAL      CNY 58.00",
                      f"凭证号 STAN        {stan}", "交易成功 APPROVED"])


def test_a_charge_the_journal_never_sent_is_a_violation(tmp_path):
    with Journal.open(tmp_path / "j.sqlite") as journal:
        found = moneyrules.audit(journal, ledger_with(7), TERMINAL)
    assert len(found.violations) == 1 and "no record of" in found.violations[0]
    assert not found


def test_a_request_that_reached_the_acquirer_unjournaled_breaks_rule_2(tmp_path):
    with Journal.open(tmp_path / "j.sqlite") as journal:
        found = moneyrules.audit(journal, Ledger(), TERMINAL, received=[("0800", "000001"), ("0400", "000009")])
    assert found.violations == ["the acquirer received 0400 STAN 000009, which the journal has no record of"]


def test_paper_that_says_paid_for_a_decline_or_twice_unmarked_breaks_rule_3(tmp_path):
    with Journal.open(tmp_path / "j.sqlite") as journal:
        declined = moneyrules.audit(journal, ledger_with(7, "51"), TERMINAL,
                                    paper=[(receipt("sale-1", "000007"), False)])
        unmarked = moneyrules.audit(journal, Ledger(), TERMINAL, paper=[
            (receipt("sale-1", "000007"), False), (receipt("sale-1", "000007"), False)])
        marked = moneyrules.audit(journal, ledger_with(7), TERMINAL, paper=[
            (receipt("sale-1", "000007"), True), (receipt("sale-1", "000007", duplicate=True), False)])
    assert [v for v in declined.violations if "paper says" in v] == [
        "paper says sale sale-1 STAN 000007 was paid; the acquirer declined it"]
    assert any(f"2 copies of the sale receipt of sale-1 (000007) without the {DUPLICATE} mark" == v
               for v in unmarked.violations)
    assert [v for v in marked.violations if "paper" in v or "copies" in v] == [] and marked.paper == 2
