"""Benchmark: an audience backfill spread over Prefect workers, inside EasyAppointments' real budget.

For each worker count (``--workers 1 2``) a fresh production-shaped cluster is started
(tests/e2e/cluster.py: a Prefect server whose database is PostgreSQL, the project database on
PostgreSQL, ``engarde setup``, ``prefect deploy --all``, N ``prefect worker start --pool engarde``,
the sandbox enforcing EasyAppointments' 100 requests / 120 s per client), then one run of the
``audience-backfill`` deployment over ``--windows`` windows of EasyAppointments bookings, fanned out
as child runs of audience-sync. EasyAppointments pages are made small (``--page-length``, default
100 rather than 1000) so that the backfill needs more requests than one budget window allows and
the shared budget, not the machine, sets the pace. Reported per worker count:

- wall time of the backfill run, and per window (median and slowest child run);
- the budget-bound minimum: EasyAppointments requests the backfill needed / 100 x 120 s;
- runs per worker, failed windows (must be 0);
- the most requests the twin saw inside any 120-s window (must be <= 100) and refused requests.

Needs a PostgreSQL server (``scripts/postgres.sh start`` prints its URL):

    TEST_POSTGRES_URL=$(ENGARDE_PG_PORT=55443 scripts/postgres.sh start) \\
        .venv/bin/python bench/distributed.py --windows 24 --workers 1 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.cluster import (
    Cluster,
    child_runs,
    finished,
    prefect_api,
    running_cluster,
    start_run,
    worker_of,
)


def _seconds(run: Any) -> float:
    if run.start_time is None or run.end_time is None:
        return float("nan")
    return float((run.end_time - run.start_time).total_seconds())


async def backfill(cluster: Cluster, windows: int, window_days: int, parallel: int) -> dict[str, Any]:
    """One fanned-out backfill through the deployment; what it took and what the twin saw."""
    today = datetime.now(UTC).date()
    parameters = {
        "date_from": (today - timedelta(days=windows * window_days - 1)).isoformat(),
        "date_to": today.isoformat(),
        "window_days": window_days,
        "sources": ["easyappointments"],
        "max_parallel_windows": parallel,
    }
    requests = cluster.sandbox.ctx.requests["easyappointments"]
    before = sum(requests.values())
    started = time.perf_counter()
    async with prefect_api(cluster) as client:
        parent = await finished(
            client, await start_run(client, "audience-backfill/audience-backfill", parameters), 3600
        )
        wall = time.perf_counter() - started
        children = await child_runs(client, parent.id)
    budget = cluster.sandbox.ctx.budgets.stats("easyappointments") or {}
    per_window = [_seconds(c) for c in children]
    return {
        "state": parent.state.name,
        "wall": wall,
        "window_median": statistics.median(per_window) if per_window else float("nan"),
        "window_max": max(per_window, default=float("nan")),
        "windows": len(children),
        "failed": sum(1 for c in children if not c.state.is_completed()) + windows - len(children),
        "per_worker": Counter(worker_of(c) or "?" for c in children),
        "requests": sum(requests.values()) - before,
        "max_in_window": budget.get("max_in_window"),
        "limit": budget.get("limit"),
        "seconds": budget.get("seconds"),
        "refused": budget.get("refused"),
    }


def report(workers: int, r: dict[str, Any]) -> str:
    """A few lines for one worker count."""
    minimum = r["requests"] / r["limit"] * r["seconds"]
    per_worker = ", ".join(f"{name} {n}" for name, n in sorted(r["per_worker"].items()))
    return "\n".join(
        [
            f"{workers} worker(s): backfill {r['state']} in {r['wall']:.0f} s "
            f"(budget-bound minimum {minimum:.0f} s: {r['requests']} EasyAppointments requests "
            f"/ {r['limit']} x {r['seconds']:g} s)",
            f"  windows: {r['windows']} run, {r['failed']} failed; per window median {r['window_median']:.1f} s, "
            f"slowest {r['window_max']:.1f} s",
            f"  runs per worker: {per_worker}",
            f"  most requests in any {r['seconds']:g}-s window: {r['max_in_window']} (budget {r['limit']}), "
            f"{r['refused']} refused",
        ]
    )


def main() -> None:
    """Parse the arguments, run one cluster per worker count, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=24, help="backfill windows (default 24)")
    parser.add_argument("--window-days", type=int, default=14, help="days per window (default 14)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--worker-limit", type=int, default=4, help="flow runs one worker runs at once")
    parser.add_argument("--parallel", type=int, default=4, help="the backfill's max_parallel_windows")
    parser.add_argument("--scale", type=int, default=2000, help="appointments in the sandbox world")
    parser.add_argument(
        "--page-length",
        type=int,
        default=100,
        help="EASYAPPOINTMENTS_PAGE_LENGTH: smaller pages, more requests",
    )
    args = parser.parse_args()
    postgres = os.environ.get("TEST_POSTGRES_URL")
    if not postgres:
        sys.exit("set TEST_POSTGRES_URL to what `scripts/postgres.sh start` prints")
    for workers in args.workers:
        with (
            tempfile.TemporaryDirectory(prefix="engarde-distributed-") as tmp,
            running_cluster(
                postgres, Path(tmp), workers=workers, worker_limit=args.worker_limit, scale=args.scale
            ) as cluster,
        ):
            result = asyncio.run(backfill(cluster, args.windows, args.window_days, args.parallel))
        print(report(workers, result), flush=True)


if __name__ == "__main__":
    main()
