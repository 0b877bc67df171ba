"""The recent sales, where the cashier reports a sale charged to the wrong card or a receipt the customer holds
unpaid: a whole wrong-card recovery driven by keys; and the till's receipt of a declined sale, reported unpaid
once the counter's reasons against it (not approved, no receipt of ours) were shown under the list, then
paid in cash."""

from agent.ui.screens import ContactScreen, CounterScreen, PaymentScreen, RecoveryScreen, SalesScreen
from tests.ui.cashier import run


async def approved(cashier, amount: str, card: str) -> str:
    """A sale the customer paid by card (keyed on the rig: the app shows it as the till's sale)."""
    rig = cashier.rig
    sale = rig.sale(amount, card)
    await cashier.settle(lambda: rig.flow(sale) is None, jump=True)
    return sale


async def open_sales(cashier) -> SalesScreen:
    await cashier.pilot.press("ctrl+s")
    await cashier.settle()
    screen = cashier.app.screen
    assert isinstance(screen, SalesScreen)
    return screen


def test_wrong_card_recovered_by_keys_from_the_recent_sales(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        earlier = await approved(cashier, "9.90", "mastercard")
        sale = await approved(cashier, "58.00", "visa")
        assert isinstance(app.screen, CounterScreen) and cashier.prompt().startswith("交易成功：CNY 58.00")
        assert rig.net("visa") == 5800

        sales = await open_sales(cashier)
        assert sales.plain[0][1:] == [sale, "CNY 58.00", "****1111", "已批准", "—"]  # the newest first
        assert sales.plain[1][1] == earlier
        assert "411111******1111" in app.screen.query_one("#detail").plain  # the card in full, to check
        assert cashier.footer() == {"F9": "刷错卡", "F8": "小票未付款", "Esc": "返回收银", "F12": "English"}
        screen = "\n".join(cashier.lines())
        assert sale in screen and "F9 刷错卡" in screen  # at 80x24 the list and its keys are in view

        await cashier.pilot.press("f9")  # the newest sale is under the cursor: charged to the wrong card
        await cashier.settle()
        assert isinstance(app.screen, RecoveryScreen)
        flow_id = app.desk.focus
        assert rig.flow(sale).flow_id == flow_id and rig.flow(sale).name == "wrong_card"
        assert cashier.prompt().startswith("刷错卡：先与顾客核对交易（CNY 58.00）")
        assert "411111******1111" in app.screen.query_one("#facts").plain
        assert cashier.footer()["F9"] == "确认刷错卡，撤销这笔" and "F10" in cashier.footer()

        await cashier.pilot.press("f9")  # the customer shows the card: confirmed, take it back
        await cashier.settle(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_void", jump=True)
        await cashier.settle()
        assert cashier.prompt().startswith("已撤销：CNY 58.00 不会从卡号 411111******1111 扣款")
        assert rig.net("visa") == 0  # taken back before anything else is charged
        assert cashier.footer()["F1"] == "换一张卡"

        await cashier.pilot.press("f1")  # another card: the right card's sale waits at the till…
        await cashier.settle()
        right = f"{sale}-right"
        assert rig.flow(right) is not None and rig.flow(right).state.name == "WAITING_CARD"
        assert isinstance(app.screen, ContactScreen) and app.screen.flow_id == flow_id  # …and the form is up
        rig.swipe("amex")
        await cashier.settle(lambda: rig.flow(right) is None, jump=True)
        assert rig.net("amex") == 5800

        await cashier.pilot.press("tab")  # name -> phone
        await cashier.type("13800138000")
        await cashier.pilot.press("tab", "tab", "tab", "tab", "space")  # consent ticked
        await cashier.pilot.press("f5")
        await cashier.settle(lambda: flow_id not in rig.counter.flows)
        assert isinstance(app.screen, RecoveryScreen)
        assert cashier.prompt().startswith("刷错卡已处理：CNY 58.00")
        assert "联系方式：138****8000" in app.screen.outcome
        assert f"跟进事项 {flow_id}：已关闭" in app.screen.outcome  # voided in the open batch: settled
        assert "收银台：交易成功：CNY 58.00" in app.screen.outcome  # the right card's sale, at the till
        assert app.cases.get(flow_id).resolution == "voided"

        await cashier.pilot.press("ctrl+t")
        await cashier.settle()
        assert isinstance(app.screen, CounterScreen)
        sales = await open_sales(cashier)
        assert sales.plain[0][1] == right and sales.plain[0][4] == "已批准"
        assert sales.plain[1][1] == sale and sales.plain[1][5] == flow_id  # the wrong one, followed

        assert (rig.net("visa"), rig.net("amex"), rig.net("mastercard")) == (0, 5800, 990)
        assert rig.audit() == {earlier: 990, sale: 0, right: 5800}

    run(tmp_path, scenario)


def test_the_tills_receipt_of_a_declined_sale_reported_unpaid_and_paid_in_cash(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        declined = rig.sale("12.51", "mastercard")  # amounts ending 51: insufficient funds
        await cashier.settle(rig.at(declined, "declined", "DECLINED"), jump=True)
        assert isinstance(app.screen, RecoveryScreen)
        await cashier.pilot.press("escape")  # the customer does not pay by card
        await cashier.settle(lambda: rig.flow(declined) is None)
        await cashier.pilot.press("ctrl+t")
        await cashier.settle()

        sales = await open_sales(cashier)
        assert sales.plain[0][1] == declined and sales.plain[0][4] == "被拒绝"
        await cashier.pilot.press("f9")  # not approved: nothing to take back
        await cashier.settle()
        assert cashier.notice() == f"未能报告：交易 {declined} 没有批准的小票记录：没有可以撤回的扣款"
        await cashier.pilot.press("f8")  # no receipt of ours: the number on the till's is asked for
        await cashier.settle()
        assert cashier.notice() == f"未能报告：交易 {declined} 没有打印我们的小票：请填写顾客手中小票的编号"
        assert app.focused is app.screen.query_one("#till-receipt")
        await cashier.type("0042")
        await cashier.pilot.press("f8")
        await cashier.settle(lambda: rig.flow(declined) is not None and rig.flow(declined).name == "receipt_unpaid")
        (reported,) = rig.events("receipt_unpaid_reported")
        assert reported.payload["receipt_id"] == "0042" and reported.payload["by"] == "cashier"
        flow_id = reported.payload["flow_id"]

        await cashier.settle(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unpaid", jump=True)
        await cashier.settle()
        assert isinstance(app.screen, RecoveryScreen) and app.desk.focus == flow_id
        assert cashier.prompt().startswith("这笔未付款：小票 0042 已作废（CNY 12.51）")
        await cashier.pilot.press("f3")  # the customer pays in cash
        await cashier.settle()
        assert isinstance(app.screen, PaymentScreen)
        await cashier.pilot.press("1")
        await cashier.settle(lambda: flow_id not in rig.counter.flows)
        (paid,) = rig.events("payment_recorded", declined)
        assert paid.payload["method"] == "cash" and paid.payload["amount"]["minor"] == 1251
        assert app.cases.get(flow_id).resolution == "paid_otherwise"

        await cashier.pilot.press("ctrl+t")
        await cashier.settle()
        sales = await open_sales(cashier)
        assert sales.plain[0][4] == "已付（现金）" and sales.plain[0][5] == flow_id  # paid, and by which case
        assert rig.audit() == {declined: 0}

    run(tmp_path, scenario)
