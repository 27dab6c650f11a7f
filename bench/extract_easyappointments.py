"""Benchmark: our EasyAppointments extraction against the floor, on a twin-served world.

(a) ours: ``tasks.easyappointments.extract_appointments`` (connector with typed records,
    shared budget, then ``appointments_to_interactions``);
(b) the floor: plain httpx paging with ``length=1000`` + one pandas merge with customers.

Both run in the same process against the same sandbox (uvicorn in a thread, no faults),
alternating, several rounds; the best wall time and the peak traced memory (tracemalloc,
which also sees the in-process twin's allocations, equally for both) are reported.

    .venv/bin/python bench/extract_easyappointments.py --scale 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import pandas as pd

from connectors.easyappointments import EasyAppointmentsSettings
from sandbox.framework import RunningSandbox, new_context
from tasks.easyappointments import extract_appointments

WINDOW = (date(2000, 1, 1), date(2100, 12, 31))


async def floor(base: str, token: str, length: int) -> tuple[int, int]:
    """Plain httpx paging + one merge: the least any extraction must do."""
    api = base.rstrip("/") + "/index.php/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    calls = 0
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def all_pages(path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
            nonlocal calls
            rows: list[dict[str, Any]] = []
            page = 1
            while True:
                response = await client.get(
                    f"{api}/{path}", params={**params, "page": page, "length": length}
                )
                calls += 1
                response.raise_for_status()
                batch = response.json()
                rows.extend(batch)
                if len(batch) < length:
                    return rows
                page += 1

        customers = await all_pages("customers", {"sort": "id"})
        appointments = await all_pages(
            "appointments",
            {"from": WINDOW[0].isoformat(), "till": WINDOW[1].isoformat(), "sort": "id"},
        )
    frame = pd.DataFrame(appointments).merge(
        pd.DataFrame(customers).add_prefix("customer_"),
        left_on="customerId",
        right_on="customer_id",
        how="left",
    )
    return len(frame), calls


async def ours(settings: EasyAppointmentsSettings) -> tuple[int, int]:
    """The production path: connector + mapping."""
    extract = await extract_appointments(*WINDOW, settings)
    assert extract.complete
    return len(extract.frame), extract.api_calls


def measure(fn: Callable[[], Awaitable[tuple[int, int]]]) -> dict[str, float]:
    """Wall time of one run, then peak traced memory of another (tracemalloc slows code down)."""
    gc.collect()
    started = time.perf_counter()
    rows, calls = asyncio.run(fn())
    wall = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    asyncio.run(fn())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"wall_s": wall, "peak_mb": peak / 1e6, "rows": rows, "calls": calls}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20_000, help="appointments in the world (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best of each is kept")
    parser.add_argument("--length", type=int, default=1000, help="page length for both (default 1000)")
    parser.add_argument("--timezone", default="UTC", help="EASYAPPOINTMENTS_TIMEZONE for ours (default UTC)")
    args = parser.parse_args(argv)

    ctx = new_context(scale=args.scale)
    with RunningSandbox(ctx) as sandbox:
        env = sandbox.env
        settings = EasyAppointmentsSettings(
            url=env["EASYAPPOINTMENTS_URL"],
            api_token=env["EASYAPPOINTMENTS_API_TOKEN"],  # type: ignore[arg-type]
            page_length=args.length,
            timezone=args.timezone,
            rate_limit_requests=10_000,
            rate_limit_seconds=1,
        )
        results: dict[str, list[dict[str, float]]] = {"floor": [], "ours": []}
        for _ in range(args.rounds):
            results["floor"].append(
                measure(
                    lambda: floor(env["EASYAPPOINTMENTS_URL"], env["EASYAPPOINTMENTS_API_TOKEN"], args.length)
                )
            )
            results["ours"].append(measure(lambda: ours(settings)))
    best = {
        k: {
            "wall_s": min(r["wall_s"] for r in v),
            "peak_mb": min(r["peak_mb"] for r in v),
            **{m: v[0][m] for m in ("rows", "calls")},
        }
        for k, v in results.items()
    }
    print(
        f"world: {args.scale} appointments, page length {args.length}, tz {args.timezone}, cpu {os.cpu_count()}"
    )
    for name, figures in best.items():
        print(
            f"{name:>6}: wall {figures['wall_s']:.3f} s  peak {figures['peak_mb']:.1f} MB  "
            f"rows {int(figures['rows'])}  api calls {int(figures['calls'])}"
        )
    ratio_wall = best["ours"]["wall_s"] / best["floor"]["wall_s"]
    ratio_mem = best["ours"]["peak_mb"] / best["floor"]["peak_mb"]
    print(f"ratio ours/floor: wall {ratio_wall:.2f}x  memory {ratio_mem:.2f}x  (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
