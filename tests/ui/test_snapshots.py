"""Snapshots of the cashier app's main screens at 80x24, in both languages (pytest-textual-snapshot): the
counter screen with a sale waiting for the card; the recovery screen of a network drop — result unknown,
do not swipe again; the contact form empty, refusing a phone number inline, and the contact saved and shown
masked; the manager's cases and one case with the message drafted for its customer and its attempts; end of
day after a balanced settlement. The scenes are in `tests.ui.screenshots`, on the rig, on a virtual clock from
a fixed start, times in UTC, the link's round-trip time blank: the same picture on every run.

After an intended change to the screens, look at the new pictures and accept them:

    python -m pytest tests/ui/test_snapshots.py --snapshot-update
"""

import pytest

from tests.ui.screenshots import (
    CASE,
    CASES_LIST,
    CONTACT_FORM,
    CONTACT_REFUSED,
    CONTACT_SAVED,
    COUNTER,
    END_OF_DAY,
    NETWORK_DROP,
    SIZE,
    SceneApp,
)

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


@LANGUAGES
@pytest.mark.parametrize("scene", [CONTACT_FORM, CONTACT_REFUSED, CONTACT_SAVED], ids=lambda scene: scene.name)
def test_contact_form(snap_compare, tmp_path, scene, language):
    """The customer leaves with the outcome unknown: the form as it opens; a local number refused under its
    field (and consent not given); saved, the recovery screen showing the contact masked and the case."""
    app = SceneApp(scene, tmp_path / "journal.sqlite", language=language)
    assert snap_compare(app, run_before=app.play, terminal_size=SIZE)


@LANGUAGES
@pytest.mark.parametrize("scene", [CASES_LIST, CASE], ids=lambda scene: scene.name)
def test_cases_screens(snap_compare, tmp_path, scene, language):
    """The open cases, one overdue; the oldest in full, its contact masked, the message to its customer (by
    hand: no relay is set) with its exact text, its attempts the latest first."""
    app = SceneApp(scene, tmp_path / "journal.sqlite", language=language)
    assert snap_compare(app, run_before=app.play, terminal_size=SIZE)


@LANGUAGES
def test_end_of_day_screen(snap_compare, tmp_path, language):
    """End of day after a balanced settlement: the batch now empty since the settlement, no reversal waiting,
    the outcome's numbered steps and what to do next (reconcile the settlement file), F5 to settle again."""
    app = SceneApp(END_OF_DAY, tmp_path / "journal.sqlite", language=language)
    assert snap_compare(app, run_before=app.play, terminal_size=SIZE)
