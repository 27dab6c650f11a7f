"""audience-sync end to end on a sandbox world: API calls per service against the minimum, wall time.

Runs the real flow (through Prefect) twice on a fresh SQLite file against the sandbox twins:
the first run creates everyone, the second must send nothing. Prints calls per service and
route, the minimum possible calls, wall times, and how Zoom participants were matched (by
email, by registrant, not at all) under Zoom's hidden-guest-email rule.

The Brevo twin runs at Brevo's real pace by default (sandbox/brevo/pace.py: 10/s and 36,000/h on
``/contacts/*``, 100/h on ``/processes``, imports that stay queued then in process for tens of
seconds) and the Brevo client at its own polling pace; the bench reports the import polls, the
requests the twin refused for being over a budget, and the most ``/contacts`` requests sent in
any one second. ``--fast`` runs the twin at test speed instead. The pure steps at 10k / 100k / 1M
rows are measured by ``bench/audience_pure.py``; extraction against a plain floor by
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
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from sandbox.framework import SandboxContext

UNLISTED = ("/v3/processes", "/v3/account", "/v3/webhooks")


def parse_args() -> argparse.Namespace:
    """The bench's command line."""
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
    parser.add_argument("--fast", action="store_true", help="the Brevo twin at test speed, not Brevo's pace")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args()


def routes_since(ctx: SandboxContext, before: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Requests per service and route served since ``before`` was taken."""
    return {
        s: {r: n - before.get(s, {}).get(r, 0) for r, n in c.items() if n != before.get(s, {}).get(r, 0)}
        for s, c in ctx.requests.items()
    }


def minimum_calls(ctx: SandboxContext, summary: Any) -> dict[str, int]:
    """The fewest calls that could do the run: EasyAppointments pages, Brevo imports."""
    ea_rows = summary.sources["easyappointments"].rows
    payload = sum(
        len(json.dumps({"email": e, "attributes": c["attributes"]}))
        for e, c in ctx.state["brevo"].contacts.items()
    )
    return {
        # services + providers + customer pages + appointment pages (a full last page needs one more)
        "easyappointments": 2
        + math.ceil((len(ctx.world.customers) + 1) / 1000)
        + math.ceil((ea_rows + 1) / 1000),
        "brevo_imports": math.ceil(payload / 8_000_000)
        if summary.brevo.created + summary.brevo.updated
        else 0,
    }


def brevo_pace(
    ctx: SandboxContext, routes: dict[str, int], wall: float, refused: dict[str, int]
) -> dict[str, Any]:
    """Import polls against the 100/h budget, refusals (``refused``: the count before the run), the busiest second."""
    polls = sum(n for r, n in routes.items() if r.startswith("GET /v3/processes"))
    unlisted = sum(n for r, n in routes.items() if r.split(" ")[-1].startswith(UNLISTED))
    budget = ctx.budgets.stats("brevo") or {}
    return {
        "pace": "fast" if ctx.fast else "real",
        "imports": routes.get("POST /v3/contacts/import", 0),
        "process_polls": polls,
        "unlisted_requests": unlisted,
        # a run shorter than an hour is within 100/h when all its unlisted requests are
        "within_100_per_hour": wall <= 3600 and unlisted <= 100,
        "refused_over_budget": {
            tier: n - refused.get(tier, 0)
            for tier, n in ctx.state["brevo"].refused.items()
            if n > refused.get(tier, 0)
        },
        "contacts_max_per_second": budget.get("max_in_window", 0),
    }


def print_run(run: dict[str, Any], summary: Any) -> None:
    """One run's figures, readably."""
    print(
        f"\n== {run['run']} run: {run['wall_s']:.1f} s, {run['people']} people, {run['interactions']} interactions read"
    )
    for service, routes in run["routes"].items():
        if routes:
            print(f"   {service:17} {sum(routes.values()):5d} calls  {routes}")
    minimum = run["minimum"]
    print(
        f"   minimum: EasyAppointments {minimum['easyappointments']} calls, Brevo imports {minimum['brevo_imports']}"
    )
    print(f"   brevo: {run['brevo']}")
    print(f"   brevo pace: {run['brevo_pace']}")
    if "zoom" in summary.sources:
        run["zoom_matching"] = zoom = summary.sources["zoom"].counts
        print(
            f"   zoom participants: {zoom.get('participants', 0)} from {zoom.get('hosts', 0)} host(s): "
            f"{zoom.get('matched_by_email', 0)} matched by email, "
            f"{zoom.get('matched_by_registrant', 0)} by registrant "
            f"({zoom.get('matched_by_registrant_name', 0)} of them by name), "
            f"{zoom.get('unmatched', 0)} unmatched; "
            f"{zoom.get('registrations', 0)} registrations"
        )


def one_run(ctx: SandboxContext, label: str) -> dict[str, Any]:
    """Run audience-sync once and return its figures."""
    from flows.audience_sync import audience_sync

    before = {s: dict(c) for s, c in ctx.requests.items()}
    refused = dict(ctx.state["brevo"].refused)
    started = time.perf_counter()
    summary = asyncio.run(audience_sync())
    wall = time.perf_counter() - started
    routes = routes_since(ctx, before)
    run = {
        "run": label,
        "wall_s": round(wall, 2),
        "people": summary.people,
        "interactions": sum(s.rows for s in summary.sources.values()),
        "brevo": summary.brevo.model_dump(),
        "calls": {s: sum(c.values()) for s, c in routes.items() if c},
        "routes": routes,
        "minimum": minimum_calls(ctx, summary),
        "brevo_pace": brevo_pace(ctx, routes.get("brevo", {}), wall, refused),
    }
    print_run(run, summary)
    return run


def main() -> None:
    """Parse arguments, run the benchmark, print the figures."""
    args = parse_args()
    from deployments import runtime

    runtime.apply_defaults()
    home = Path(tempfile.mkdtemp(prefix="engarde-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'bench.db'}"

    from sandbox.framework import RunningSandbox, new_context
    from store.db import make_engine
    from store.migrate import upgrade

    upgrade(make_engine())
    ctx = new_context(scale=args.scale, seed=args.seed, faults=args.faults, fast=args.fast)
    figures: dict[str, Any] = {"scale": args.scale, "faults": args.faults, "fast": args.fast, "runs": []}
    with RunningSandbox(ctx) as sandbox:
        os.environ.update(sandbox.env)
        figures["runs"] = [one_run(ctx, label) for label in ("first", "second")]
        brevo = ctx.state["brevo"]
        figures["repeated_imports"] = len(brevo.repeated_imports())
        figures["consent_violations"] = len(brevo.consent_violations)
    print(
        f"\nrepeated imports in the same state: {figures['repeated_imports']}; "
        f"consent violations: {figures['consent_violations']}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
