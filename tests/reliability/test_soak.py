"""The soak's fast subset: `python -m bench.soak` for forty sales instead of ten thousand — one of each
kind of fault first, then the day's mix — with the agent in a process of its own on real transports,
then the money rules against the ledger, the wire and the paper, and the scan of what the agent left."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from bench.soak import failed, soak
from bench.soak_cashier import MIX

SALES = 40


@pytest.mark.skipif(os.name != "posix", reason="the reader's pty and /proc are POSIX")
def test_forty_sales_with_every_fault_lose_nothing_charge_nothing_twice_and_leave_nothing_in_clear(tmp_path):
    report = asyncio.run(soak(SALES, 7, tmp_path / "data", tmp_path / "paper.txt"))
    assert "error" not in report, report.get("traceback")
    assert report["stuck"] == []
    assert set(report["done"]) == set(MIX) and sum(report["done"].values()) == SALES
    money = report["money"]
    assert money["violations"] == [], money["violations"]
    assert money["sales_on_record"] == SALES
    assert money["lost"] == money["charged_twice"] == money["unmarked_duplicate_receipts"] == 0
    # every approved sale's receipt is on paper, and paper ran out at least once: a reprint was marked
    assert money["receipts_queued"] >= report["done"]["clean"] and money["paper"] > money["receipts_queued"]
    assert "重打印 / DUPLICATE" in (tmp_path / "paper.txt").read_text(encoding="utf-8")
    scan = report["scan"]
    assert scan["clean"], json.dumps({k: scan[k] for k in ("findings", "mode_failures", "unreadable", "control")},
                                     ensure_ascii=False)
    assert scan["needles"]["contacts_given"] == report["contacts_left"] > 0
    assert report["rss"]["samples"] >= 1 and report["agent_share_ms"]["n"] >= 1
    assert not failed(report)
