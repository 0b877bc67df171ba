"""Snapshots of the cashier app's main screens at 80x24, in both languages (pytest-textual-snapshot): the
counter screen with a sale waiting for the card, and the recovery screen of a network drop — result unknown,
do not swipe again. The scenes are in `tests.ui.screenshots`, on the rig, on a virtual clock from a fixed
start, times in UTC, the link's round-trip time blank: the same picture on every run.

After an intended change to the screens, look at the new pictures and accept them:

    python -m pytest tests/ui/test_snapshots.py --snapshot-update
"""

import pytest

from tests.ui.screenshots import COUNTER, NETWORK_DROP, SIZE, SceneApp

LANGUAGES = pytest.mark.parametrize("language", ["zh-CN", "en"])


@LANGUAGES
def test_counter_screen(snap_compare, tmp_path, language):
    """The counter screen: devices up, 58 keyed in, the customer asked for a card."""
    app = SceneApp(COUNTER, tmp_path / "journal.sqlite", language=language)
    assert snap_compare(app, run_before=app.play, terminal_size=SIZE)


@LANGUAGES
def test_network_drop_recovery_screen(snap_compare, tmp_path, language):
    """The recovery screen after the line dropped with a charge in flight: the facts, the numbered steps
    (do not swipe again), the keys; the bank shown down and card payments paused."""
    app = SceneApp(NETWORK_DROP, tmp_path / "journal.sqlite", language=language)
    assert snap_compare(app, run_before=app.play, terminal_size=SIZE)
