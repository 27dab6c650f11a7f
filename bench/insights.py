"""Benchmark booking insights: facts time and Claude request size at growing data volumes.

For each size: synthetic bookings (not timed), ``compute_facts`` for all analysis types (timed,
best of ``--repeat``), then one narration through the real connector against the Anthropic twin
served on loopback: request body bytes and the twin's input-token count (chars / 4, cached prefix
included). The request must not grow with the data.

    .venv/bin/python bench/insights.py                      # 10k, 100k, 1M
    .venv/bin/python bench/insights.py --sizes 10000 --json bench/results/insights.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.claude import ClaudeSettings
from insights.facts import compute_facts
from insights.synthetic import synthetic_bookings
from sandbox.anthropic_twin import twin_state
from sandbox.framework import RunningSandbox, new_context
from tasks.insights import narrate_sheet


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per size (and optionally write JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="facts timings per size (best is reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    results = []
    with RunningSandbox(new_context(scale=50, seed=args.seed)) as sandbox:
        settings = ClaudeSettings(
            api_key="sk-ant-sandbox", base_url=f"{sandbox.base_url}/anthropic", timeout=60
        )
        state = twin_state(sandbox.ctx)
        print(f"{'bookings':>10} {'facts_s':>8} {'facts':>6} {'request_bytes':>14} {'input_tokens':>13}")
        for n in args.sizes:
            frame = synthetic_bookings(
                n,
                start=datetime(2026, 4, 1),
                end=datetime(2026, 11, 1),
                seed=args.seed,
                people=max(300, n // 20),
            )
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                sheet = compute_facts(
                    frame,
                    date_from=date(2026, 7, 1),
                    date_to=date(2026, 9, 30),
                    as_of=datetime(2026, 9, 15, tzinfo=UTC),
                )
                best = min(best, time.perf_counter() - t0)
            window_rows = int(
                ((frame["occurred_at"] >= "2026-04-01") & (frame["occurred_at"] < "2026-10-01")).sum()
            )
            del frame
            state["raw_bodies"].clear()
            state["usage"].clear()
            asyncio.run(narrate_sheet(sheet, settings))
            usage = state["usage"][0]
            tokens = (
                usage["input_tokens"]
                + usage["cache_creation_input_tokens"]
                + usage["cache_read_input_tokens"]
            )
            row = {
                "bookings": n,
                "bookings_in_window_and_previous": window_rows,
                "facts_seconds": round(best, 3),
                "facts": len(sheet.facts),
                "request_bytes": len(state["raw_bodies"][0].encode()),
                "input_tokens": tokens,
            }
            results.append(row)
            print(
                f"{n:>10,} {best:>8.2f} {len(sheet.facts):>6} {row['request_bytes']:>14,} {tokens:>13,}",
                flush=True,
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
