"""Backfill windows as child runs of the audience-sync deployment, spread over every worker.

Under a work pool (the backfill itself runs from a deployment), each window becomes a flow run
of ``audience-sync/audience-sync-daily`` created with ``run_deployment`` as a subflow, so any
worker of the pool picks it up; at most ``max_parallel`` run at once. Windows extract in
parallel inside the shared API budgets (tasks/budgets.py) while their Brevo pushes wait for one
another (tasks/run_locks.py). A window whose child run fails is reported, the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

AUDIENCE_SYNC_DEPLOYMENT = "audience-sync/audience-sync-daily"
T = TypeVar("T")


def under_work_pool() -> bool:
    """Whether this flow run was started from a deployment (a worker runs it), not in-process."""
    from prefect.runtime import deployment

    return bool(deployment.id)


async def fan_out_windows(
    windows: list[tuple[date, date]],
    run_window: Callable[[date, date], Awaitable[T]],
    max_parallel: int,
) -> list[T | BaseException]:
    """``run_window`` for every window, at most ``max_parallel`` at once; results (or errors) in order."""
    gate = asyncio.Semaphore(max(1, max_parallel))

    async def one(window: tuple[date, date]) -> T:
        async with gate:
            return await run_window(*window)

    return list(await asyncio.gather(*(one(w) for w in windows), return_exceptions=True))


async def run_window_deployment(start: date, end: date, *, sources: list[str], list_id: int | None) -> Any:
    """One window as a child run of the audience-sync deployment; returns the finished FlowRun."""
    from prefect.deployments import arun_deployment

    parameters: dict[str, Any] = {
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "sources": sources,
        "list_id": list_id,
    }
    return await arun_deployment(
        name=AUDIENCE_SYNC_DEPLOYMENT,
        parameters=parameters,
        flow_run_name=f"backfill {start}..{end}",
        as_subflow=True,
        poll_interval=2,
    )
