"""The counter screen: the amount with inline problems, a sale to its approval, the status line and the
banner, and the language key."""

from agent.ui.screens import CounterScreen
from domain.events import DeviceState, LinkDown, ReaderStatus
from domain.money import Money
from tests.ui.cashier import run


def test_a_bad_amount_is_named_inline_and_starts_nothing_then_a_good_one_starts_the_sale(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        await cashier.type("5..8")
        await cashier.pilot.press("enter")
        await cashier.settle()
        assert cashier.notice() == "金额无效：“5..8”不是金额，请输入 58 或 58.00 这样的数字"
        assert app.screen.query_one("#notice").display
        assert rig.counter.flows == {} and not rig.events("sale_started")

        await cashier.clear("#amount")
        await cashier.type("58")
        app.screen.query_one("#reference").focus()
        await cashier.type("A-1")
        await cashier.pilot.press("enter")  # from the reference field too
        await cashier.settle()
        assert cashier.notice() == "" and not app.screen.query_one("#notice").display
        (started,) = rig.events("sale_started")
        assert started.payload["amount"] == {"minor": 5800, "currency": "CNY"}
        assert started.payload["reference"] == "A-1"
        assert app.screen.query_one("#amount").value == "" and app.focused is app.screen.query_one("#amount")

    run(tmp_path, scenario)


def test_a_clean_sale_from_the_amount_to_approved_and_cancel_on_esc(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        assert "读卡器 ● 未知" in cashier.status() and "银行 ● 已连接" in cashier.status()
        assert cashier.footer() == {"Enter": "开始收款", "^S": "最近交易", "^O": "跟进事项", "^E": "结算",
                                    "F12": "English"}
        assert "请输入金额，按回车开始收款。" in cashier.prompt()

        await cashier.type("42.00", "enter")  # in one burst, as a fast cashier or a keyboard wedge sends it
        await cashier.settle()
        sale = app.desk.sale_id
        assert sale is not None and rig.events("sale_started", sale)[0].payload["amount"]["minor"] == 4200
        rig.swipe("mastercard")
        await cashier.settle(lambda: rig.flow(sale) is None, jump=True)
        assert isinstance(app.screen, CounterScreen)
        assert cashier.prompt().startswith("交易成功：CNY 42.00")
        assert cashier.footer() == {"Enter": "开始收款", "^S": "最近交易", "^O": "跟进事项", "^E": "结算",
                                    "F12": "English"}  # nothing to act on

        await cashier.type("9.90")  # the next customer; they change their mind
        await cashier.pilot.press("enter")
        await cashier.settle()
        second = app.desk.sale_id
        assert second != sale and "CNY 9.90" in cashier.prompt()
        await cashier.pilot.press("escape")
        await cashier.settle(lambda: rig.flow(second) is None)
        assert cashier.prompt().startswith("交易已取消：CNY 9.90")
        assert rig.audit() == {sale: 4200}

    run(tmp_path, scenario)


def test_a_tab_typed_in_a_burst_moves_on_before_the_keys_after_it(tmp_path):
    """A keyboard wedge, or a fast cashier: the amount, Tab, the order reference, Enter — all at once."""
    async def scenario(cashier):
        rig = cashier.rig
        await cashier.type("58\tA-1", "enter")
        await cashier.settle()
        (started,) = rig.events("sale_started")
        assert (started.payload["amount"]["minor"], started.payload["reference"]) == (5800, "A-1")

    run(tmp_path, scenario)


def test_f12_switches_every_word_to_english_and_back(tmp_path):
    async def scenario(cashier):
        app = cashier.app
        await cashier.type("30")
        await cashier.pilot.press("enter")
        await cashier.settle()
        assert cashier.prompt().startswith("请顾客刷卡")

        await cashier.pilot.press("f12")
        await cashier.settle()
        assert app.language == "en"
        assert cashier.prompt().startswith("Ask the customer to swipe, insert or tap: CNY 30.00")
        assert cashier.footer() == {"Enter": "Take payment", "Esc": "Cancel the sale", "^S": "Recent sales",
                                    "^O": "Cases", "F12": "中文"}  # ^E too, out of the footer
        assert cashier.status().startswith("Reader ● unknown")
        screen = "\n".join(cashier.lines())
        assert "Amount" in screen and "Order ref." in screen
        assert not any("\u4e00" <= char <= "\u9fff" for char in screen.replace("中文", ""))  # no Chinese left

        await cashier.pilot.press("f12")
        await cashier.settle()
        assert app.language == "zh-CN" and cashier.prompt().startswith("请顾客刷卡")
        assert cashier.footer()["F12"] == "English"

    run(tmp_path, scenario)


def test_the_app_can_open_in_english(tmp_path):
    async def scenario(cashier):
        assert cashier.footer() == {"Enter": "Take payment", "^S": "Recent sales", "^O": "Cases",
                                    "^E": "End of day", "F12": "中文"}

    run(tmp_path, scenario, language="en")


def test_a_device_detail_with_escape_sequences_and_markup_is_shown_harmless(tmp_path):
    detail = "reset\x1b[2J\x1b]0;pwned\x07 by [bold red]peer[/] \x9b31m\r\nnow\x07"

    async def scenario(cashier):
        rig = cashier.rig
        rig.counter.device_event(ReaderStatus(DeviceState.OFFLINE, detail))
        await cashier.settle()
        assert "读卡器 ● 离线  │" in cashier.status()  # the driver's English detail is not in the Chinese line
        await cashier.pilot.press("f12")  # it is the integrator's, in the English one
        await cashier.settle()
        assert "Reader ● offline (reset by [bold red]peer[/]  now)" in cashier.status()  # the line break: a space
        screen = "\n".join(cashier.lines())
        assert "[bold red]peer[/]" in screen  # markup shown as typed, not applied
        assert not any(char == "\x1b" or (ord(char) < 32 and char != "\n") or 0x7F <= ord(char) <= 0x9F
                       for char in screen)

    run(tmp_path, scenario)


def test_the_banner_says_why_card_payments_are_paused_in_the_cashiers_words_not_the_links(tmp_path):
    async def scenario(cashier):
        rig = cashier.rig
        rig.counter.device_event(LinkDown("reset by peer"))  # the link is lost while idle: card payments pause
        await cashier.settle()
        assert cashier.banner() == "暂停刷卡：与银行的连接已断开"  # no host service saw why: only that it is down
        assert "银行 ● 已断开" in cashier.status() and "reset by peer" not in "\n".join(cashier.lines())

    run(tmp_path, scenario)


def test_the_app_hands_the_counter_callbacks_back_when_it_closes(tmp_path):
    rigs = []

    async def scenario(cashier):
        rigs.append(cashier.rig)
        counter = cashier.rig.counter
        assert counter.on_prompt != cashier.rig._prompted  # the app listens…
        before = len(cashier.rig.prompts)
        counter.start_sale(Money.parse("1"))
        await cashier.settle()
        assert len(cashier.rig.prompts) == before + 1  # …and still calls whoever listened before
        cashier.app.exit()
        await cashier.pilot.pause()

    run(tmp_path, scenario)
    counter = rigs[0].counter
    assert counter.on_prompt == rigs[0]._prompted
