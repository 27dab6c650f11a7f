"""audience-sync end to end on a sandbox world: API calls per service against the minimum, wall time.

Runs the real flow (through Prefect) twice on a fresh SQLite file against the sandbox twins:
the first run creates everyone, the second must send nothing. Prints calls per service and
route, the minimum possible calls, wall times, and how Zoom participants were matched (by
email, by registrant, not at all) under Zoom's hidden-guest-email rule. The pure steps at 10k / 100k / 1M rows are
measured by ``bench/audience_pure.py``; extraction against a plain floor by
``bench/extract_easyappointments.py``.

    .venv/bin/python bench/audience.py --scale 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    """Parse arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=int, default=20_000, help="EasyAppointments appointments in the world"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--faults", type=float, default=0.0, help="fraction of requests answered with a fault"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from deployments import runtime

    runtime.apply_defaults()
    home = Path(tempfile.mkdtemp(prefix="engarde-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.db'}"

    from flows.audience_sync import audience_sync
    from sandbox.framework import RunningSandbox, new_context
    from store.db import make_engine
    from store.migrate import upgrade

    upgrade(make_engine())
    ctx = new_context(scale=args.scale, seed=args.seed, faults=args.faults)
    figures: dict[str, Any] = {"scale": args.scale, "faults": args.faults, "runs": []}
    with RunningSandbox(ctx) as sandbox:
        os.environ.update(sandbox.env)
        for label in ("first", "second"):
            before = {s: dict(c) for s, c in ctx.requests.items()}
            started = time.perf_counter()
            summary = asyncio.run(audience_sync())
            wall = time.perf_counter() - started
            calls = {
                s: {
                    r: n - before.get(s, {}).get(r, 0)
                    for r, n in c.items()
                    if n != before.get(s, {}).get(r, 0)
                }
                for s, c in ctx.requests.items()
            }
            ea_rows = summary.sources["easyappointments"].rows
            brevo = ctx.state["brevo"]
            payload = sum(
                len(json.dumps({"email": e, "attributes": c["attributes"]}))
                for e, c in brevo.contacts.items()
            )
            minimum = {
                # services + providers + customer pages + appointment pages (a full last page needs one more)
                "easyappointments": 2
                + math.ceil((len(ctx.world.customers) + 1) / 1000)
                + math.ceil((ea_rows + 1) / 1000),
                "brevo_imports": (
                    math.ceil(payload / 8_000_000) if summary.brevo.created + summary.brevo.updated else 0
                ),
            }
            run = {
                "run": label,
                "wall_s": round(wall, 2),
                "people": summary.people,
                "interactions": sum(s.rows for s in summary.sources.values()),
                "brevo": summary.brevo.model_dump(),
                "calls": {s: sum(c.values()) for s, c in calls.items() if c},
                "routes": calls,
                "minimum": minimum,
            }
            figures["runs"].append(run)
            print(
                f"\n== {label} run: {wall:.1f} s, {summary.people} people, {run['interactions']} interactions read"
            )
            for service, routes in calls.items():
                if routes:
                    print(f"   {service:17} {sum(routes.values()):5d} calls  {routes}")
            print(
                f"   minimum: EasyAppointments {minimum['easyappointments']} calls, Brevo imports {minimum['brevo_imports']}"
            )
            print(f"   brevo: {summary.brevo.model_dump()}")
            if "zoom" in summary.sources:
                run["zoom_matching"] = zoom = summary.sources["zoom"].counts
                print(
                    f"   zoom participants: {zoom.get('participants', 0)} from {zoom.get('hosts', 0)} host(s): "
                    f"{zoom.get('matched_by_email', 0)} matched by email, "
                    f"{zoom.get('matched_by_registrant', 0)} by registrant "
                    f"({zoom.get('matched_by_registrant_name', 0)} of them by name), "
                    f"{zoom.get('unmatched', 0)} unmatched; {zoom.get('registrations', 0)} registrations"
                )
        figures["repeated_imports"] = len(ctx.state["brevo"].repeated_imports())
        figures["consent_violations"] = len(ctx.state["brevo"].consent_violations)
    print(
        f"\nrepeated imports in the same state: {figures['repeated_imports']}; consent violations: {figures['consent_violations']}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
