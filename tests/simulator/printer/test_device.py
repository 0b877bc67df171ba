"""The virtual printer as a device: status replies for every state, paper lost to faults, receipts."""

from __future__ import annotations

import pytest

from domain.events import PrinterCondition as C
from simulator.printer.device import VirtualPrinter
from simulator.printer.document import Cut

ESC, GS, FS, DLE = b"\x1b", b"\x1d", b"\x1c", b"\x10"
EOT = DLE + b"\x04"
CUT, PARTIAL_CUT = GS + b"V\x00", GS + b"V\x01"
JOB = (ESC + b"@" + EOT + b"\x04" + ESC + b"a\x01" + ESC + b"E\x01Corner Shop\n" + ESC + b"E\x00" + ESC + b"a\x00"
       + b"SALE 12.50\nCard 411111******1111\n" + EOT + b"\x02" + b"Thank you\n" + ESC + b"d\x02" + CUT)
JOB_LINES = ["Corner Shop", "SALE 12.50", "Card 411111******1111", "Thank you", "", ""]


def printed(receipt) -> list[str]:
    return [line.text for line in receipt.document.lines]


def matches_pattern(byte: int) -> bool:
    return byte & 0b10010011 == 0b00010010


@pytest.mark.parametrize(("conditions", "replies"), [
    (set(), {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}),
    ({C.OFFLINE}, {1: 0x1A, 2: 0x12, 4: 0x12}),
    ({C.COVER_OPEN}, {1: 0x12, 2: 0x16, 4: 0x12}),
    ({C.PAPER_END}, {1: 0x12, 2: 0x32, 4: 0x72}),
    ({C.ERROR}, {2: 0x52}),
    ({C.PAPER_NEAR_END}, {2: 0x12, 4: 0x1E}),
    ({C.PAPER_END, C.COVER_OPEN, C.OFFLINE, C.ERROR, C.PAPER_NEAR_END}, {1: 0x1A, 2: 0x76, 3: 0x12, 4: 0x7E}),
])
def test_dle_eot_answers_each_state_with_the_documented_bits(conditions, replies):
    printer = VirtualPrinter()
    for condition in conditions:
        printer.set(condition)
    for n, expected in replies.items():
        assert printer.receive(EOT + bytes([n])) == bytes([expected])
        assert matches_pattern(expected)


def test_dle_eot_7_and_8_answer_the_base_byte_and_other_requests_get_no_reply():
    printer = VirtualPrinter()
    printer.set(C.PAPER_END)
    assert printer.receive(EOT + b"\x07\x01" + EOT + b"\x08\x03") == b"\x12\x12"
    assert printer.receive(GS + b"r\x01" + GS + b"I\x01" + ESC + b"u\x00" + ESC + b"v") == b""


def test_a_silent_printer_answers_nothing_but_still_prints():
    printer = VirtualPrinter()
    printer.silent = True
    assert printer.receive(EOT + b"\x01" + b"hello\n" + CUT + EOT + b"\x04") == b""
    assert [receipt.text for receipt in printer.receipts] == ["hello\n"]


def test_requests_inside_other_data_and_split_across_chunks_are_answered_in_order():
    printer = VirtualPrinter()
    printer.set(C.PAPER_NEAR_END)
    stream = b"abc" + EOT + b"\x01" + b"de" + EOT + b"\x04" + b"\n" + EOT + b"\x02"
    replies = b"".join(printer.receive(stream[i:i + 1]) for i in range(len(stream)))
    assert replies == b"\x12\x1e\x12"
    assert VirtualPrinter().receive(stream) == b"\x12\x12\x12"


def test_everything_between_cuts_is_one_receipt_and_observers_are_told():
    printer = VirtualPrinter(columns=32)
    told = []
    printer.observers.append(told.append)
    second = b"two\n" + ESC + b"a\x02right\n" + PARTIAL_CUT
    assert printer.receive(JOB + second[:5]) == b"\x12\x12"
    printer.receive(second[5:] + b"left over\n")
    first, other = printer.receipts
    assert told == [first, other]
    assert printed(first) == JOB_LINES and first.data == JOB and first.cut == Cut(partial=False)
    assert first.document.lines[0].styled(bold=True) == "Corner Shop"
    assert other.text == "two\n" + " " * 27 + "right\n"
    assert other.data == second and other.cut == Cut(partial=True) and not other.torn
    assert "cut" not in first.text


def test_a_cut_with_no_paper_since_the_last_one_makes_no_receipt():
    printer = VirtualPrinter()
    printer.receive(b"one\n" + CUT + CUT + EOT + b"\x01" + CUT)
    assert [receipt.text for receipt in printer.receipts] == ["one\n"]


@pytest.mark.parametrize("condition", [C.PAPER_END, C.COVER_OPEN, C.OFFLINE, C.ERROR])
def test_data_sent_while_printing_is_stopped_is_lost_but_status_is_still_answered(condition):
    printer = VirtualPrinter()
    printer.set(condition)
    assert printer.receive(JOB) == bytes([printer.status_byte(4), printer.status_byte(2)])
    assert printer.receipts == []
    assert printer.lost == len(JOB) - 6  # the two status requests are not print data
    printer.set(condition, on=False)
    printer.receive(JOB)
    [receipt] = printer.receipts
    assert printed(receipt) == JOB_LINES and not receipt.torn


def test_paper_near_end_prints_normally():
    printer = VirtualPrinter()
    printer.set(C.PAPER_NEAR_END)
    printer.receive(JOB)
    assert printed(printer.receipts[0]) == JOB_LINES and printer.lost == 0


def test_a_fault_at_any_byte_of_a_job_loses_the_rest_and_keeps_what_came_out_as_a_torn_receipt():
    for count in range(len(JOB) + 1):
        printer = VirtualPrinter()
        printer.fail_after(count, C.PAPER_END)
        replies = printer.receive(JOB)
        assert len(replies) == 2, count
        if count == len(JOB):
            assert printer.lost == 0 and not printer.receipts[0].torn
            continue
        assert C.PAPER_END in printer.conditions
        requests = [i for at in (JOB.index(EOT + b"\x04"), JOB.index(EOT + b"\x02")) for i in range(at, at + 3)]
        assert printer.lost == len(JOB) - count - sum(1 for i in requests if i >= count), count
        if printer.receipts:
            [receipt] = printer.receipts
            assert receipt.torn and receipt.cut is None, count
            assert receipt.data == JOB[:count]
            assert printed(receipt) == JOB_LINES[:len(receipt.document.lines)]
            assert len(receipt.document.lines) < len(JOB_LINES) or count >= JOB.index(CUT)  # the cut was lost


def test_the_reply_after_a_fault_in_the_middle_of_a_job_reports_it():
    printer = VirtualPrinter()
    printer.fail_after(JOB.index(b"SALE"), C.PAPER_END)
    assert printer.receive(JOB) == b"\x12\x32"


def test_a_torn_receipt_without_a_cut_is_recorded_when_the_line_closes():
    printer = VirtualPrinter()
    printer.fail_after(JOB.index(b"Thank"), C.COVER_OPEN)
    printer.receive(JOB[:JOB.index(CUT)])
    assert printer.receipts == []
    printer.flush()
    [receipt] = printer.receipts
    assert receipt.torn and receipt.cut is None
    assert printed(receipt) == JOB_LINES[:3]


def test_status_polling_while_faulted_does_not_tear_the_next_receipt():
    printer = VirtualPrinter()
    printer.set(C.PAPER_END)
    printer.receive(EOT + b"\x04" + EOT + b"\x07\x01")
    assert printer.lost == 0
    printer.clear()
    printer.receive(JOB)
    assert not printer.receipts[0].torn


def test_paper_left_uncut_is_recorded_by_flush_and_a_new_connection_starts_from_power_on():
    printer = VirtualPrinter()
    printer.receive(ESC + b"E\x01" + ESC + b"a\x01heading\nhalf a line")
    printer.reset()
    printer.receive(b"plain\n" + CUT)
    uncut, fresh = printer.receipts
    assert uncut.text == " " * 20 + "heading\n" and uncut.cut is None and not uncut.torn
    assert fresh.text == "plain\n" and fresh.document.lines[0].styled(bold=False) == "plain"


def test_esc_at_resets_the_modes_but_not_the_conditions():
    printer = VirtualPrinter()
    printer.set(C.COVER_OPEN)
    printer.receive(ESC + b"@")
    assert printer.conditions == {C.COVER_OPEN} and not printer.printing


def test_chinese_mode_and_columns_are_chosen_at_construction():
    gb = "消费".encode("gb18030")
    printer = VirtualPrinter(chinese=True, columns=32)
    printer.receive(ESC + b"a\x01" + gb + b"\n" + CUT)
    assert printer.receipts[0].text == " " * 14 + "消费\n"


def test_clear_cancels_a_waiting_fault_and_silence():
    printer = VirtualPrinter()
    printer.fail_after(3, C.OFFLINE)
    printer.silent = True
    printer.clear()
    assert printer.receive(JOB) == b"\x12\x12" and printer.conditions == set()


def test_bad_settings_get_a_precise_error():
    printer = VirtualPrinter()
    with pytest.raises(ValueError, match=r"no_reply.*silent"):
        printer.set(C.NO_REPLY)
    with pytest.raises(ValueError, match=r"cannot be put in.*ok"):
        printer.fail_after(1, C.OK)
    with pytest.raises(ValueError, match="byte_count must be 0 or more, got -1"):
        printer.fail_after(-1, C.OFFLINE)
