"""End of day from the cashier app (Ctrl+E, then F5), over the counter's own link to the virtual acquirer on
loopback TCP, on a virtual clock: balanced, in both languages, with the STAN sequence carrying on; out of
balance until the stored reversal the customer left behind is sent, then balanced; no answer with the link
down, no totals from the acquirer; refused while a sale is under way, and no sale while it settles."""

from __future__ import annotations

import itertools

import pytest

from agent.config import HostSettings
from agent.counter import Counter
from agent.settle.at_counter import CounterEndOfDay, SettleRefused
from agent.ui.screens import CounterScreen, RecoveryScreen
from agent.ui.screens.end_of_day import EndOfDayScreen, settle_problem
from tests.agent import rig as agent_rig
from tests.agent.rig import HASHER
from tests.ui.cashier import run


async def day_of_trade(rig, *amounts: str) -> list[str]:
    sales = []
    for amount in amounts:
        sale = rig.sale(amount)
        await rig.until(lambda s=sale: rig.flow(s) is None, jump=True)
        sales.append(sale)
    return sales


def settled(rig) -> bool:
    return bool(rig.events("settlement_finished")) and rig.counter.settling is None


def stans(rig) -> list[int]:
    """The STAN of every request journaled, sales and the 0500 alike, in the order they went."""
    return [int(e.payload["request"]["11"]) for e in rig.journal.events(kind="host_request")]


def increasing(numbers: list[int]) -> bool:
    """One sequence: each number after the last (the idle echoes take numbers of it in between)."""
    return all(a < b for a, b in itertools.pairwise(numbers))


WORDS = {
    "zh-CN": {"open": "结算", "settle": "结算", "back": "返回收银", "language": "English",
              "batch": "本批次：消费 2 笔 CNY 70.50，退货 0 笔 CNY 0.00", "first": "首次结算",
              "none": "没有待上送的冲正", "idle": "按 F5 结算",
              "outcome": "结算成功，对账平：消费 2 笔 CNY 70.50，退货 0 笔 CNY 0.00",
              "after": "本批次：消费 0 笔 CNY 0.00", "since": "自上次对账平（"},
    "en": {"open": "End of day", "settle": "Settle", "back": "Back to till", "language": "中文",
           "batch": "Open batch: 2 sale(s) CNY 70.50, 0 refund(s) CNY 0.00", "first": "first settlement",
           "none": "No stored reversals waiting", "idle": "Press F5 to settle",
           "outcome": "Settled, in balance: 2 sale(s) CNY 70.50, 0 refund(s) CNY 0.00",
           "after": "Open batch: 0 sale(s) CNY 0.00", "since": "since the last balanced settlement ("},
}


def test_balanced_from_the_app_closes_the_batch_on_the_counters_own_link(tmp_path):
    async def before(rig):
        await day_of_trade(rig, "58.00", "12.50")

    async def in_both_languages(cashier, check) -> None:
        """`check(words)` in Chinese, then after F12 in English, and F12 back."""
        for language in ("zh-CN", "en"):
            assert cashier.app.language == language
            check(WORDS[language])
            await cashier.pilot.press("f12")
            await cashier.settle()

    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app

        def before_settling(words):
            assert cashier.footer() == {"F5": words["settle"], "Esc": words["back"], "F12": words["language"]}
            batch = app.screen.query_one("#batch").plain
            assert words["batch"] in batch and words["first"] in batch and words["none"] in batch
            assert cashier.prompt().startswith(words["idle"])

        def settled_now(words):
            assert cashier.prompt().startswith(words["outcome"])
            assert "2." in cashier.prompt() and "recoup reconcile" in cashier.prompt()
            batch = app.screen.query_one("#batch").plain
            assert words["after"] in batch and words["since"] in batch  # the next batch starts empty
            assert cashier.footer()["F5"] == words["settle"]  # settle again, if need be

        assert cashier.footer()["^E"] == WORDS["zh-CN"]["open"]
        await cashier.pilot.press("ctrl+e")  # from the amount field, which has a Ctrl+E of its own
        await cashier.settle()
        assert isinstance(app.screen, EndOfDayScreen)
        await in_both_languages(cashier, before_settling)

        connections = rig.acquirer.connections
        await cashier.pilot.press("f5")
        await cashier.settle(lambda: settled(rig), jump=True)
        await in_both_languages(cashier, settled_now)

        (requested,) = rig.events("settlement_requested")
        flow_id = requested.payload["flow_id"]
        kinds = rig.kinds(flow_id)
        assert kinds[0] == "settlement_requested" and kinds[-1] == "settlement_finished"
        assert kinds.index("host_request") < kinds.index("host_response")  # journaled before the wire
        assert [p.payload["prompt_id"] for p in rig.events("prompt_shown", flow_id)] == [
            "settlement.settling", "settlement.balanced"]
        assert rig.acquirer.connections == connections  # no second link: the counter's own
        assert all(entry.batch is not None for entry in rig.acquirer.ledger.entries if entry.approved)
        assert len(stans(rig)) == 3 and increasing(stans(rig))  # the 0500 carries on the counter's numbering

        await cashier.pilot.press("escape")  # back to the till, and the next sale goes on from there
        await cashier.settle()
        assert isinstance(app.screen, CounterScreen)
        sale = rig.sale("9.90")
        await cashier.settle(lambda: rig.flow(sale) is None, jump=True)
        assert len(stans(rig)) == 4 and increasing(stans(rig))
        assert rig.audit()[sale] == 990
        assert cashier.footer()["^E"] == WORDS["zh-CN"]["open"]

    run(tmp_path, scenario, before=before)


def test_out_of_balance_sends_the_reversal_the_customer_left_behind_then_balances(tmp_path):
    dropped = []

    async def before(rig):
        await day_of_trade(rig, "58.00")
        rig.acquirer.drop_after_request()  # the acquirer charges the next card and the line drops
        dropped.append(rig.sale("20.00"))
        await rig.until(lambda: rig.host.saf.pending() != [], jump=True)
        rig.acquirer.rules.set_next(1, "96")  # its reversal is refused once: still stored at closing time
        await rig.until(lambda: rig.events("reversal_unanswered"), jump=True)
        assert rig.flow(dropped[0]).state.name == "OUTCOME_UNKNOWN"

    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        assert isinstance(app.screen, RecoveryScreen)  # the customer is still at the counter…
        await cashier.pilot.press("ctrl+t")
        await cashier.settle()
        await cashier.pilot.press("ctrl+e")
        await cashier.settle()
        await cashier.pilot.press("f5")
        await cashier.settle()
        assert cashier.notice().startswith("现在不能结算：收银台还有进行中的事项（交易失败·网络 network_drop-")
        assert not rig.events("settlement_requested")

        await cashier.pilot.press("escape", "ctrl+r")  # …who leaves, declining to leave details
        await cashier.settle()
        await cashier.pilot.press("f4")
        await cashier.settle()
        await cashier.pilot.press("f6")
        await cashier.settle(rig.at(dropped[0], "network_drop", "AWAITING_REVERSAL"))
        await cashier.pilot.press("ctrl+t")
        await cashier.settle()
        await cashier.pilot.press("ctrl+e")
        await cashier.settle()
        batch = app.screen.query_one("#batch").plain
        assert "本批次：消费 1 笔 CNY 58.00" in batch and "待上送的冲正：1 笔 CNY 20.00" in batch

        await cashier.pilot.press("f5")  # the case waits on store-and-forward only: settling may flush it
        await cashier.settle(lambda: settled(rig), jump=True)
        assert cashier.prompt().startswith("结算成功，对账平：消费 1 笔 CNY 58.00")
        assert "没有待上送的冲正" in app.screen.query_one("#batch").plain
        flow_id = rig.events("settlement_requested")[0].payload["flow_id"]
        assert [p.payload["prompt_id"] for p in rig.events("prompt_shown", flow_id)] == [
            "settlement.settling", "settlement.sending_stored", "settlement.settling", "settlement.balanced"]
        assert rig.events("settlement_finished")[0].payload["stored_sent"] == 1
        assert rig.journal.query("SELECT state FROM saf") == [("acknowledged",)]  # the counter's one queue
        await cashier.settle(lambda: rig.flow(dropped[0]) is None)  # the case heard its reversal go, too
        assert rig.audit() == {rig.events("sale_started")[0].stream: 5800, dropped[0]: 0}

    run(tmp_path, scenario, before=before)


@pytest.mark.parametrize(("fault", "outcome", "said"), [
    ("link down", "no_answer", ("结算没有应答：网络中断或银行未答复", "检查网络后再次结算（收银程序中按 Ctrl+E")),
    ("settlement answer unavailable", "unavailable", ("银行暂时无法对账（返回码 96）", "请稍后再次结算")),
], ids=["link-down", "no-totals"])
def test_no_answer_or_no_totals_leave_the_batch_open_with_the_next_step(tmp_path, fault, outcome, said):
    async def before(rig):
        await day_of_trade(rig, "58.00")
        if fault == "link down":
            await rig.acquirer.refuse_connections()
            rig.acquirer.drop_after_request(echoes=True)  # the next echo finds the line cut
            await rig.until(lambda: not rig.host.up, jump=True)
        else:
            assert (await rig.acquirer.control(fault)).startswith("ok")

    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        await cashier.pilot.press("ctrl+e")
        await cashier.settle()
        await cashier.pilot.press("f5")  # card payments paused while the link is down do not hold it up
        await cashier.settle(lambda: settled(rig), jump=True)
        (finished,) = rig.events("settlement_finished")
        assert finished.payload["outcome"] == outcome
        title, step = said
        assert cashier.prompt().startswith(title) and step in cashier.prompt()
        assert "本批次：消费 1 笔 CNY 58.00" in app.screen.query_one("#batch").plain  # still open
        assert all(entry.batch is None for entry in rig.acquirer.ledger.entries)
        await cashier.pilot.press("f12")
        await cashier.settle()
        assert "settle again" in cashier.prompt().lower() and "Ctrl+E" in cashier.prompt()

    run(tmp_path, scenario, before=before)


def test_refused_while_a_sale_is_under_way_and_no_sale_starts_while_settling(tmp_path):
    async def before(rig):
        await day_of_trade(rig, "58.00")

    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        await cashier.type("30", "enter")  # a customer at the till, card not yet read
        await cashier.settle()
        sale = app.desk.sale_id
        assert "^E" not in cashier.footer()  # the sale's keys have the room; Ctrl+E still answers
        await cashier.pilot.press("ctrl+e", "f5")
        await cashier.settle()
        assert cashier.notice() == f"现在不能结算：收银台还有进行中的事项（消费 {sale}），请先处理完"
        await cashier.pilot.press("f12")
        await cashier.pilot.press("f5")
        await cashier.settle()
        assert cashier.notice() == f"Cannot settle now: still under way at the counter (Sale {sale}); finish it first"
        assert not rig.events("settlement_requested") and rig.acquirer.ledger.entries[-1].batch is None

        await cashier.pilot.press("escape", "escape")  # back to the till; the customer changes their mind
        await cashier.settle(lambda: rig.flow(sale) is None)
        rig.acquirer.delay(20_000)  # the acquirer takes its time over the totals (virtual time)
        await cashier.pilot.press("ctrl+e", "f5")
        await cashier.settle(lambda: bool(rig.events("settlement_requested")))
        assert "F5" not in cashier.footer()  # one settlement at a time
        assert "Esc goes back to the till; no sale can start until it ends." in cashier.prompt()

        await cashier.pilot.press("escape")  # the cashier goes back to the till meanwhile: no sale starts
        await cashier.settle()
        await cashier.type("12", "enter")
        await cashier.settle()
        assert cashier.notice() == "End of day is under way: no sale until it ends (Ctrl+E shows it)"
        assert len(rig.events("sale_started")) == 2 and rig.counter.flows == {}

        await cashier.settle(lambda: settled(rig), jump=True)
        assert rig.events("settlement_finished")[0].payload["outcome"] == "balanced"
        await cashier.pilot.press("ctrl+e")  # the outcome stays on the screen
        await cashier.settle()
        assert cashier.prompt().startswith("Settled, in balance: 1 sale(s) CNY 58.00")
        await cashier.pilot.press("escape")
        await cashier.settle()
        await cashier.type("12", "enter")  # and the till takes sales again
        await cashier.settle()
        assert len(rig.events("sale_started")) == 3

    run(tmp_path, scenario, before=before)


def test_one_end_of_day_at_a_time_and_none_without_a_link(tmp_path):
    async def scenario(rig):
        running = CounterEndOfDay(rig.counter, HostSettings())
        with pytest.raises(SettleRefused) as again:
            CounterEndOfDay(rig.counter, HostSettings())
        assert again.value.code == "settling"
        assert [settle_problem(again.value, language) for language in ("zh-CN", "en")] == [
            "正在结算，请等待结果", "Already settling: wait for the outcome"]
        assert await running.run() == "BALANCED" and rig.counter.settling is None

        with pytest.raises(SettleRefused) as unlinked:
            CounterEndOfDay(Counter(rig.journal, rig.clock, hasher=HASHER), HostSettings())
        assert settle_problem(unlinked.value, "en") == "This counter has no acquirer link to settle over"

    agent_rig.run(tmp_path, scenario)
