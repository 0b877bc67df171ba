import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import RealClock, VirtualClock


def test_virtual_clock_jumps_to_the_next_due_timer_in_order():
    clock = VirtualClock()
    fired = []
    clock.call_later(30, lambda: fired.append(("auth timeout", clock.monotonic())))
    clock.call_later(5, lambda: fired.append(("echo", clock.monotonic())))
    cancelled = clock.call_later(1, lambda: fired.append(("cancelled", clock.monotonic())))
    cancelled.cancel()
    assert clock.jump() and fired == [("echo", 5)]
    assert clock.jump() and fired[-1] == ("auth timeout", 30)
    assert not clock.jump()


def test_advance_fires_timers_on_the_way_and_moves_wall_time():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    clock = VirtualClock(start)
    fired = []
    clock.call_later(10, lambda: fired.append(clock.monotonic()))
    clock.call_later(700, lambda: fired.append(clock.monotonic()))
    clock.advance(600)
    assert fired == [10] and clock.now() == start + timedelta(minutes=10)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_a_ten_minute_outage_takes_no_real_time():
    clock = VirtualClock()

    async def scenario():
        woke = []

        async def sleeper():
            await clock.sleep(600)
            woke.append(clock.monotonic())

        task = asyncio.create_task(sleeper())
        await clock.run_for(599)
        assert woke == []
        await clock.run_for(1)
        await task
        return woke

    assert asyncio.run(scenario()) == [600]


def test_virtual_clock_needs_an_aware_start():
    with pytest.raises(ValueError):
        VirtualClock(datetime(2026, 1, 1))


def test_real_clock_is_utc_and_monotonic():
    clock = RealClock()
    assert clock.now().tzinfo is UTC
    assert clock.monotonic() <= clock.monotonic()
