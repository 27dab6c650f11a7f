"""``engarde demo``: the main job end to end on a fresh SQLite file and the sandbox, no credentials."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deployments import runtime

if TYPE_CHECKING:
    from sandbox.framework import SandboxContext


def _fresh_database() -> str:
    path = (runtime.PROJECT_HOME / "demo.db").resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _step(title: str, action: Callable[[], Any]) -> Any:
    print(f"\n== {title}")
    started = time.monotonic()
    result = action()
    print(f"   ({time.monotonic() - started:.1f} s)")
    return result


def run_demo(scale: int = 3000, seed: int = 7) -> int:
    """Migrate a fresh demo database, serve the sandbox, run the flows through Prefect, print what happened."""
    from sandbox.framework import RunningSandbox, new_context
    from store.db import make_engine
    from store.migrate import upgrade

    os.environ["DATABASE_URL"] = _fresh_database()
    _step("migrating " + os.environ["DATABASE_URL"], lambda: upgrade(make_engine()))
    ctx = new_context(scale=scale, seed=seed, fast=True)  # the demo runs in seconds, not at Brevo's pace
    with RunningSandbox(ctx) as sandbox:
        os.environ.update(sandbox.env)
        print(
            f"\n== sandbox serving at {sandbox.base_url}: {scale} appointments, {len(ctx.world.people)} people"
        )
        if os.environ.get("PREFECT_API_URL"):
            print(
                f"   flow runs appear in the Prefect UI at {os.environ['PREFECT_API_URL'].removesuffix('/api')}"
            )
        from flows.audience_sync import audience_sync

        first = _step("audience-sync (first run: everything is new)", lambda: asyncio.run(audience_sync()))
        print(first.render())
        second = _step(
            "audience-sync again (nothing changed: nothing is sent)", lambda: asyncio.run(audience_sync())
        )
        print(second.render())
        _posh_vip(ctx)
        _signups_and_platform_users(ctx)
        _insights()
        stats = ctx.stats()
        print("\n== requests the sandbox served")
        for service, entry in stats.items():
            if service != "faults_injected" and entry["requests"]:
                print(f"   {service:17} {entry['requests']:6d}   state: {entry.get('state', {})}")
    return 0


def _posh_vip(ctx: SandboxContext) -> None:
    """Signed Posh.VIP deliveries to the receiver, then the poshvip-events flow."""
    from flows.poshvip_events import poshvip_events
    from sandbox.poshvip_sender import build_deliveries, send_deliveries
    from webhooks.app import create_app
    from webhooks.server import RunningReceiver
    from webhooks.settings import ReceiverSettings

    with RunningReceiver(create_app(ReceiverSettings())) as receiver:
        deliveries = build_deliveries(
            ctx.world, 60, secret=os.environ["POSHVIP_WEBHOOK_SECRET"], duplicate_rate=0.2, forged_rate=0.05
        )
        sent = _step(
            f"{len(deliveries)} Posh.VIP webhook deliveries (20% redelivered, 5% forged) to the receiver",
            lambda: asyncio.run(send_deliveries(f"{receiver.base_url}/api/webhooks/poshvip", deliveries)),
        )
        print(f"   receiver answered: {dict(sent.statuses)}")
    summary = _step(
        "poshvip-events (stored events -> interactions -> Brevo)", lambda: asyncio.run(poshvip_events())
    )
    print(_render(summary))


def _signups_and_platform_users(ctx: SandboxContext) -> None:
    """Seed a few platform users, sync them, and queue the last month's bookers for invitations."""
    from flows.platform_users_sync import platform_users_sync
    from flows.signup_queue import add_bookers_to_queue
    from store.db import session_scope
    from store.platform_users import seed_platform_users

    rng = ctx.world.rng_for("demo-platform-users")
    users = [
        {"email": p.email, "first_name": p.first_name, "last_name": p.last_name, "role": "member"}
        for p in ctx.world.pick_people(rng, 25)
    ]
    with session_scope() as session:
        seed_platform_users(session, users)
    synced = _step(
        "platform-users-sync (25 seeded platform users)", lambda: asyncio.run(platform_users_sync())
    )
    print(_render(synced))
    queued = _step("add-bookers-to-queue (last 30 days)", lambda: asyncio.run(add_bookers_to_queue()))
    print(_render(queued))


def _insights() -> None:
    """booking-insights on the last 30 days, narrated by the Claude twin and checked."""
    from flows.booking_insights import booking_insights

    report = _step(
        "booking-insights (all analysis types, last 30 days)", lambda: asyncio.run(booking_insights())
    )
    kept, dropped = len(report.get("insights", [])), len(report.get("dropped", []))
    print(f"   model {report.get('model')}: {kept} insights kept, {dropped} dropped by the number check")
    print(f"   open the report: {report.get('html_path')}")


def _render(result: Any) -> str:
    if hasattr(result, "render"):
        return str(result.render())
    if hasattr(result, "model_dump_json"):
        return str(result.model_dump_json(indent=2))
    return str(result)
