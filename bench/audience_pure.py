"""Benchmark the pure audience pipeline on synthetic interactions.

Measures wall time, CPU time and peak memory of resolve_people + segment_people +
build_brevo_payloads + plan_brevo_sync (and, separately, connectors.brevo.chunk_rows on the
rows the plan would send) for each requested size, each size in a fresh process.

    .venv/bin/python bench/audience_pure.py --rows 10000 100000 1000000

Per step it prints wall/CPU seconds: on a shared machine wall time depends on the
neighbours (the 1-minute load average is printed too), CPU time much less so.
Memory is reported as the process RSS before the measured run (mostly the input
frame itself) and the max RSS after it, plus the tracemalloc peak of the
allocations the steps make (a separate traced run, since tracing is slow).

Measured 2026-11-26 on the 2-core dev VM while other jobs kept its load average
near 6 (so wall time was ~2.5x CPU time), synthetic data at ~4.4 rows per person:

    rows       people   CPU s   wall s   tracemalloc peak   max RSS (input frame alone)
    10,000      2,273    0.10    0.27       4 MiB              96 MiB
    100,000    22,687    0.51    0.96      36 MiB             175 MiB (165)
    1,000,000 226,956    4.36   11.49     342 MiB             943 MiB (703)

With --rows-per-person 1 (1M rows, 511,419 people) it took 11.1 s CPU / 25.2 s wall and
1.38 GiB max RSS: build_brevo_payloads (one dict and one sha256 per person) scales
with people, not rows, and is then the bottleneck (6.6 s CPU).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audience.brevo_payload import build_brevo_payloads
from audience.identity import normalise_emails
from audience.people import resolve_people
from audience.schema import INTERACTION_DTYPES
from audience.segments import SegmentThresholds, segment_people
from audience.sync_plan import import_rows, plan_brevo_sync, summarise_plan
from connectors.brevo.payload import chunk_rows

AS_OF = pd.Timestamp("2026-11-26T00:00:00Z")
FIRST = np.array(
    ["Ana", "Bruno", "Chloé", "Dmitri", "Eva", "Farah", "Gil", "Hana", "Ivo", "Júlia", ""], dtype=object
)
LAST = np.array(
    ["Silva", "Costa", "O'Neil", "Müller", "Tanaka", "Nowak", "Dubois", "", "Smith"], dtype=object
)
SERVICES = np.array([f"Service {i:02d} – fencing lesson" for i in range(25)], dtype=object)
SOURCES = np.array(["easyappointments", "eventbrite", "zoom", "poshvip", "platform"], dtype=object)
EA_STATUS = np.array(["booked", "booked", "booked", "booked", "cancelled", "no_show"], dtype=object)
TICKET_STATUS = np.array(["attended", "attended", "attended", "refunded", "cancelled"], dtype=object)


def synthetic_interactions(rows: int, seed: int = 7, rows_per_person: float = 4.0) -> pd.DataFrame:
    """Interactions with a skewed number of rows per person (a few very loyal people),
    the same person on several platforms with differently-cased emails, cancellations,
    no-shows, refunds, missing names and ~1% unusable emails."""
    rng = np.random.default_rng(seed)
    n_people = max(1, int(rows / rows_per_person))
    person = (rng.random(rows) ** 2.5 * n_people).astype(np.int64)
    source_idx = rng.choice(len(SOURCES), size=rows, p=[0.55, 0.2, 0.15, 0.08, 0.02])
    source = SOURCES[source_idx]
    kind = np.choose(
        source_idx, np.array(["booking", "ticket", "attendance", "ticket", "registration"], dtype=object)
    )
    zoom_reg = (source_idx == 2) & (rng.random(rows) < 0.4)
    kind = np.where(zoom_reg, "registration", kind)
    status = np.where(
        source_idx == 0,
        EA_STATUS[rng.integers(0, len(EA_STATUS), rows)],
        np.where(
            np.isin(source_idx, [1, 3]),
            TICKET_STATUS[rng.integers(0, len(TICKET_STATUS), rows)],
            np.where(zoom_reg, "registered", "attended"),
        ),
    )
    base = np.array([f"person{p}@example{p % 97}.org" for p in range(n_people)], dtype=object)
    emails = base[person]
    variant = rng.random(rows)
    emails = np.where(variant < 0.1, np.char.upper(emails.astype(str)).astype(object), emails)
    emails = np.where((variant >= 0.1) & (variant < 0.15), " " + emails + " ", emails)
    emails = np.where(variant > 0.99, "not-an-email", emails)
    now_us = AS_OF.value // 1000
    day_us = 86_400_000_000
    occurred = now_us + rng.integers(-3 * 365, 60, rows) * day_us + rng.integers(0, 86_400, rows) * 1_000_000
    created = occurred - rng.integers(0, 45, rows) * day_us
    created = np.where(source_idx == 2, np.iinfo(np.int64).min, created)
    frame = pd.DataFrame(
        {
            "source": source,
            "source_id": np.arange(rows).astype(str),
            "email_raw": emails,
            "email": pd.NA,
            "first_name": FIRST[(person + rng.integers(0, 2, rows)) % len(FIRST)],
            "last_name": LAST[person % len(LAST)],
            "phone": np.where(rng.random(rows) < 0.3, "+35191" + (person % 10_000_000).astype(str), None),
            "kind": kind,
            "status": status,
            "occurred_at": occurred.view("datetime64[us]"),
            "created_at": created.view("datetime64[us]"),
            "service": np.where(
                source_idx == 0, SERVICES[(person + rng.integers(0, 3, rows)) % len(SERVICES)], None
            ),
            "event_id": np.where(source_idx != 0, "ev" + rng.integers(0, 400, rows).astype(str), None),
        }
    )
    for col, dtype in INTERACTION_DTYPES.items():
        if col not in frame:
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
        elif dtype.startswith("datetime64"):
            frame[col] = frame[col].dt.tz_localize("UTC")
        else:
            frame[col] = frame[col].astype(dtype)
    return frame[list(INTERACTION_DTYPES)]


def last_pushed_for(payloads: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """A previous sync state: 70% of people pushed, half of those with a stale hash."""
    rng = np.random.default_rng(seed)
    pushed = payloads.loc[rng.random(len(payloads)) < 0.7, ["email", "payload_hash"]].copy()
    stale = rng.random(len(pushed)) < 0.5
    pushed.loc[stale, "payload_hash"] = "0" * 64
    pushed["on_list"] = True
    return pushed.reset_index(drop=True)


def pipeline(interactions: pd.DataFrame, last_pushed: pd.DataFrame | None) -> dict[str, Any]:
    """The measured steps. Returns per-step (wall s, CPU s), the people count, payloads and plan."""
    timings: dict[str, tuple[float, float]] = {}

    def step(name: str, fn: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    if last_pushed is None:
        last_pushed = pd.DataFrame({"email": [], "payload_hash": [], "on_list": []})
    people = step("resolve_people", lambda: resolve_people(interactions, AS_OF))
    segmented = step("segment_people", lambda: segment_people(people, AS_OF, SegmentThresholds()))
    payloads = step("build_brevo_payloads", lambda: build_brevo_payloads(segmented))
    plan = step("plan_brevo_sync", lambda: plan_brevo_sync(payloads, last_pushed, removable=set()))
    return {"timings": timings, "people": len(people), "plan": plan, "payloads": payloads}


def current_rss_mib() -> float:
    """Resident set size of this process now (Linux), MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(rows: int, seed: int, rows_per_person: float, trace: bool) -> dict[str, Any]:
    """One size, in this process: returns the figures as a dict."""
    interactions = synthetic_interactions(rows, seed, rows_per_person)
    t = time.perf_counter()
    # Done once when interactions are built (unify step), not on every segmentation.
    interactions["email"] = normalise_emails(interactions["email_raw"])
    normalise_s = time.perf_counter() - t
    warm = pipeline(interactions, None)
    last_pushed = last_pushed_for(warm["payloads"])
    del warm
    gc.collect()
    rss_before = current_rss_mib()
    t, cpu = time.perf_counter(), time.process_time()
    result = pipeline(interactions, last_pushed)
    total, cpu = time.perf_counter() - t, time.process_time() - cpu
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    chunks = list(chunk_rows(list(import_rows(result["plan"])), max_bytes=8_000_000))
    chunk_s = time.perf_counter() - t
    figures: dict[str, Any] = {
        "rows": rows,
        "people": result["people"],
        "total_s": round(total, 3),
        "cpu_s": round(cpu, 3),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "steps_wall_cpu_s": {k: [round(w, 3), round(c, 3)] for k, (w, c) in result["timings"].items()},
        "normalise_emails_s": round(normalise_s, 3),
        "plan": summarise_plan(result["plan"]),
        "chunk_rows_s": round(chunk_s, 3),
        "chunks": len(chunks),
        "rss_before_mib": round(rss_before),
        "max_rss_mib": round(max_rss),
    }
    del result, chunks
    gc.collect()
    if trace:
        tracemalloc.start()
        pipeline(interactions, last_pushed)
        figures["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], help="sizes")
    parser.add_argument("--rows-per-person", type=float, default=4.0, help="average interactions per person")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the synthetic data")
    parser.add_argument("--no-trace", action="store_true", help="skip the (slow) tracemalloc run")
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.in_process:
        for rows in args.rows:
            print(json.dumps(measure(rows, args.seed, args.rows_per_person, not args.no_trace)))
        return 0
    for rows in args.rows:
        # A fresh process per size, so max RSS belongs to that size alone.
        command = [sys.executable, __file__, "--in-process", "--rows", str(rows)]
        command += ["--rows-per-person", str(args.rows_per_person), "--seed", str(args.seed)]
        command += ["--no-trace"] if args.no_trace else []
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        if args.json:
            print(json.dumps(figures))
            continue
        steps = " ".join(f"{k}={w:.2f}/{c:.2f}" for k, (w, c) in figures["steps_wall_cpu_s"].items())
        print(
            f"{figures['rows']:>9} rows {figures['people']:>8} people: {figures['total_s']:.2f} s wall, "
            f"{figures['cpu_s']:.2f} s CPU (load {figures['load_avg_1m']}) "
            f"({steps}); RSS {figures['rss_before_mib']} MiB before -> max {figures['max_rss_mib']} MiB; "
            f"tracemalloc peak {figures.get('tracemalloc_peak_mib', '-')} MiB; "
            f"normalise_emails {figures['normalise_emails_s']:.2f} s; plan {figures['plan']}; "
            f"chunk_rows {figures['chunk_rows_s']:.2f} s -> {figures['chunks']} chunks"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
