"""Benchmark the history read of booking insights: calls and time to read a whole EasyAppointments
history into a fresh store, then what the next report reads.

Serves a sandbox world (default 20,000 appointments) on loopback, migrates a fresh SQLite file and
runs ``tasks.booking_history.prepare_history`` (the production path, inside a Prefect flow) for a
30-day window in the middle of the world's history: first on the empty store (reads everything),
then again with ``refresh`` (re-reads the two windows only), then without it (reads nothing).
Prints, per step, EasyAppointments requests, appointments served and seconds (the Prefect
temporary server's start is not timed).

    .venv/bin/python bench/insights_history.py
    .venv/bin/python bench/insights_history.py --scale 20000 --page-length 1000   # small pages
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deployments import runtime

runtime.apply_defaults()  # before Prefect is imported: project home, longer temporary-server start

from prefect import flow  # noqa: E402

from insights.models import Window  # noqa: E402
from sandbox.framework import RunningSandbox, SandboxContext, new_context  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from tasks.booking_history import prepare_history  # noqa: E402


def _served(ctx: SandboxContext) -> tuple[int, int]:
    reads = ctx.state["easyappointments"]["appointment_reads"]
    return sum(ctx.requests["easyappointments"].values()), sum(int(r["rows"]) for r in reads)


@flow(name="bench-insights-history")
async def steps(ctx: SandboxContext) -> list[dict[str, Any]]:
    """Three reports' history preparation (on ``DATABASE_URL``): fresh store, refresh, plain."""
    anchor = ctx.world.anchor.date()
    window = Window(date_from=anchor - timedelta(days=180), date_to=anchor - timedelta(days=151))
    out = []
    for name, refresh in (("fresh store", True), ("second, refresh", True), ("third, no refresh", False)):
        calls0, rows0 = _served(ctx)
        started = time.perf_counter()
        history = await prepare_history(window, refresh=refresh, now=datetime.now(UTC))
        seconds = time.perf_counter() - started
        calls1, rows1 = _served(ctx)
        out.append(
            {
                "step": name,
                "calls": calls1 - calls0,
                "appointments_served": rows1 - rows0,
                "seconds": round(seconds, 2),
                "complete": history.complete,
                "bookings_stored": history.bookings,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per step."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20_000, help="appointments in the world (default 20000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--page-length",
        type=int,
        default=None,
        help="EASYAPPOINTMENTS_HISTORY_PAGE_LENGTH (default: its default)",
    )
    args = parser.parse_args(argv)
    ctx = new_context(scale=args.scale, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp, RunningSandbox(ctx) as sandbox:
        os.environ.update(sandbox.env)
        if args.page_length:
            os.environ["EASYAPPOINTMENTS_HISTORY_PAGE_LENGTH"] = str(args.page_length)
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        os.environ["DATABASE_URL"] = url
        results = asyncio.run(steps(ctx))
    print(f"world: {args.scale} appointments, cpu {os.cpu_count()}")
    for r in results:
        print(
            f"{r['step']:<18} calls={r['calls']:<3} appointments served={r['appointments_served']:<6} "
            f"{r['seconds']:>6.2f} s  complete={r['complete']} stored={r['bookings_stored']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
