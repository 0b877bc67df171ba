"""A whole network-drop recovery at the counter, driven by keys: the amount is typed, the card is read, the
acquirer charges it and drops the line; the screen says not to swipe again and follows the flow through
the customer leaving their details (a bad phone number first) to the case, and to the hold being released
once the link is back."""

from agent.contacts import Declined
from agent.ui.screens import ContactScreen, CounterScreen, PaymentScreen, RecoveryScreen
from tests.ui.cashier import run


def test_network_drop_recovered_by_keys_with_the_contact_form(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        rig.acquirer.drop_after_request()

        await cashier.type("30.00")
        await cashier.pilot.press("enter")
        await cashier.settle()
        sale = app.desk.sale_id
        assert sale is not None and rig.flow(sale).name == "sale"
        assert "请顾客刷卡、插卡或挥卡：CNY 30.00" in cashier.prompt()
        assert cashier.footer()["Esc"] == "取消交易"

        rig.swipe("visa")
        await cashier.settle(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        assert isinstance(app.screen, RecoveryScreen)
        flow_id = rig.flow(sale).flow_id
        prompt = cashier.prompt()
        assert prompt.startswith("交易结果未知，请勿重复刷卡：CNY 30.00")
        assert "3. 请勿重复刷卡，也不要请顾客用任何卡再付一次。" in prompt
        facts = app.screen.query_one("#facts").plain
        assert "CNY 30.00" in facts and "411111******1111" in facts and "000002" in facts
        assert cashier.footer() | {} == {"F3": "其他方式付款", "F4": "顾客先离开", "^T": "返回收银",
                                         "F12": "English"}
        assert cashier.banner().startswith("暂停刷卡")  # the link is down: card payments paused
        assert "银行 ● 已断开" in cashier.status()
        screen = "\n".join(cashier.lines())  # at 80x24 the warning, the facts and the keys are all in view
        assert "请勿重复刷卡" in screen and "411111******1111" in screen and "F4 顾客先离开" in screen

        await cashier.pilot.press("f4")  # the customer leaves: the contact form comes up
        await cashier.settle()
        assert isinstance(app.screen, ContactScreen) and app.screen.flow_id == flow_id
        assert rig.counter.screen.capturing_contact == {flow_id: "hold_release"}

        await cashier.pilot.press("tab")  # name (optional, left empty) -> phone
        await cashier.type("12345")
        await cashier.pilot.press("f5")
        await cashier.settle()
        form = app.screen
        assert isinstance(form, ContactScreen)
        assert set(form.errors) == {"phone", "consent"}
        assert form.errors == {"phone": "5 位只是本地号码，请加上区号", "consent": "顾客同意后才能保存任何信息"}
        assert form.query_one("#error-phone").display and not form.query_one("#error-email").display
        assert app.focused is form.query_one("#phone")  # the first field with a problem
        assert not rig.events("contact_recorded")  # nothing stored
        assert rig.flow(sale).state.name == "CAPTURING_CONTACT"

        await cashier.clear("#phone")
        await cashier.type("138 0013 8000")
        await cashier.pilot.press("tab", "tab", "tab", "tab", "space")  # email, WeChat, channel, consent: ticked
        assert form.query_one("#consent").value
        await cashier.pilot.press("f5")
        await cashier.settle(rig.at(sale, "network_drop", "AWAITING_REVERSAL"))
        assert isinstance(app.screen, RecoveryScreen)
        (recorded,) = rig.events("contact_recorded")
        contact = app.contacts.get(recorded.payload["contact_id"])
        assert contact.details.phone == "+8613800138000"
        case = app.cases.get(flow_id)
        assert case.state == "open" and case.contact_id == contact.contact_id
        assert cashier.prompt().startswith("已建立跟进事项：CNY 30.00")
        assert "联系方式：138****8000 · 电话" in app.screen.outcome
        assert f"跟进事项 {flow_id}：未结" in app.screen.outcome
        assert "13800138000" not in "\n".join(cashier.lines())  # shown masked, never in clear

        # The link comes back, the reversal is acknowledged: the screen follows the flow to its end.
        rig.acquirer.clear_faults()
        await cashier.settle(lambda: rig.flow(sale) is None and rig.drained(), jump=True)
        assert cashier.prompt().startswith("冻结金额已解除，已通知顾客：CNY 30.00")
        await cashier.settle(lambda: rig.counter.screen.card_payments_paused is None, jump=True)  # the link held
        assert cashier.banner() == ""
        assert "银行 ● 已连接" in cashier.status()
        assert cashier.footer() == {"^T": "返回收银", "F12": "English"}  # finished: nothing left to do but go back

        await cashier.pilot.press("ctrl+t")
        await cashier.settle()
        assert isinstance(app.screen, CounterScreen)
        assert app.desk.recoveries() == []
        assert rig.audit() == {sale: 0}

    run(tmp_path, scenario)


def test_customer_pays_cash_puts_the_form_aside_then_declines_to_leave_details(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        rig.acquirer.drop_after_request()
        await cashier.type("12.5")
        await cashier.pilot.press("enter")
        await cashier.settle()
        sale = app.desk.sale_id
        rig.swipe("visa")
        await cashier.settle(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)

        await cashier.pilot.press("f3")  # pay another way: how?
        await cashier.settle()
        assert isinstance(app.screen, PaymentScreen)
        assert cashier.footer() == {"1": "现金", "2": "扫码", "Esc": "返回", "F12": "English"}
        await cashier.pilot.press("1")
        await cashier.settle(rig.at(sale, "network_drop", "CAPTURING_CONTACT"))
        (paid,) = rig.events("payment_recorded", sale)
        assert paid.payload["method"] == "cash"
        assert isinstance(app.screen, ContactScreen)

        await cashier.pilot.press("escape")  # back to the steps; the flow still waits for the details
        await cashier.settle()
        assert isinstance(app.screen, RecoveryScreen)
        assert cashier.footer()["F5"] == "保存联系方式" and cashier.footer()["F6"] == "顾客不愿留联系方式"
        await cashier.pilot.press("f5")  # opens the form again
        await cashier.settle()
        assert isinstance(app.screen, ContactScreen)

        await cashier.pilot.press("f6")  # the customer declines: one key
        await cashier.settle(rig.at(sale, "network_drop", "AWAITING_REVERSAL"))
        assert isinstance(app.screen, RecoveryScreen)
        assert "联系方式：顾客不愿留下" in app.screen.outcome
        flow_id = rig.flow(sale).flow_id
        (declined,) = rig.events("contact_recorded", flow_id)  # the answer on record, no personal data
        assert declined.payload == {"contact_id": declined.payload["contact_id"], "case_id": flow_id,
                                    "declined": True, "consent": False}
        assert isinstance(app.contacts.get(declined.payload["contact_id"]), Declined)
        assert app.cases.get(flow_id).contact_id == declined.payload["contact_id"]  # the case points to it
        assert app.case_contact(app.cases.get(flow_id)) == "顾客不愿留下"  # as the case screen shows it

        await cashier.pilot.press("ctrl+t")  # back to the till while the case waits for the reversal…
        await cashier.settle()
        assert isinstance(app.screen, CounterScreen)
        assert app.screen.query_one("#recoveries").display and cashier.footer()["^R"] == "恢复处理"
        await cashier.pilot.press("ctrl+r")  # …and back to it
        await cashier.settle()
        assert isinstance(app.screen, RecoveryScreen) and app.desk.focus == flow_id

    run(tmp_path, scenario)


def test_a_recovery_open_before_the_app_started_is_on_screen_at_once(tmp_path):
    async def before(rig):
        rig.acquirer.drop_after_request()
        sale = rig.sale("30.00")
        await rig.until(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)

    async def scenario(cashier):
        assert isinstance(cashier.app.screen, RecoveryScreen)
        assert "请勿重复刷卡" in cashier.prompt()

    run(tmp_path, scenario, before=before)


def test_released_while_the_customer_waits_then_the_card_is_tried_again_at_the_till(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        rig.acquirer.drop_after_request()
        await cashier.type("30")
        await cashier.pilot.press("enter")
        await cashier.settle()
        sale = app.desk.sale_id
        rig.swipe("visa")
        await cashier.settle(rig.at(sale, "network_drop", "OUTCOME_UNKNOWN"), jump=True)
        rig.acquirer.clear_faults()
        await cashier.settle(rig.at(sale, "network_drop", "RELEASED"), jump=True)  # the link is back, reversed
        assert isinstance(app.screen, RecoveryScreen)
        assert cashier.prompt().startswith("银行已确认冲正，未扣款：CNY 30.00")
        assert set(cashier.footer()) == {"F2", "F3", "Esc", "^T", "F12"}

        await cashier.pilot.press("f2")  # try the card again: the sale goes back to the till
        await cashier.settle(rig.at(sale, "sale", "WAITING_CARD"))
        assert isinstance(app.screen, CounterScreen)
        assert cashier.prompt().startswith("请顾客刷卡、插卡或挥卡：CNY 30.00")
        rig.swipe("visa")
        await cashier.settle(lambda: rig.flow(sale) is None, jump=True)
        assert cashier.prompt().startswith("交易成功：CNY 30.00")
        assert rig.audit() == {sale: 3000}

    run(tmp_path, scenario)
