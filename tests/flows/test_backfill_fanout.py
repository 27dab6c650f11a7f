"""Backfill fan-out: every window runs, never more than the parallel limit at once, in order."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from flows.backfill_fanout import fan_out_windows

WINDOWS = [
    (date(2026, 1, 1) + timedelta(days=7 * i), date(2026, 1, 7) + timedelta(days=7 * i)) for i in range(12)
]


async def test_windows_run_at_most_max_parallel_at_once_and_failures_stay_apart() -> None:
    running = 0
    peak = 0
    gate = asyncio.Event()

    async def run_window(start: date, end: date) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 3:
            gate.set()
        await gate.wait()
        await asyncio.sleep(0)
        running -= 1
        if start == WINDOWS[5][0]:
            raise RuntimeError("window 5 failed")
        return f"{start}..{end}"

    results = await fan_out_windows(WINDOWS, run_window, max_parallel=3)

    assert peak == 3
    assert [r for i, r in enumerate(results) if i != 5] == [
        f"{s}..{e}" for i, (s, e) in enumerate(WINDOWS) if i != 5
    ]
    assert isinstance(results[5], RuntimeError)
