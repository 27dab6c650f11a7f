"""``engarde demo``: the main job end to end on a fresh SQLite file and the sandbox, no credentials."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deployments import runtime


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
    ctx = new_context(scale=scale, seed=seed)
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
        for extra in _extra_steps():
            extra()
        stats = ctx.stats()
        print("\n== requests the sandbox served")
        for service, entry in stats.items():
            if service != "faults_injected" and entry["requests"]:
                print(f"   {service:17} {entry['requests']:6d}   state: {entry.get('state', {})}")
    return 0


def _extra_steps() -> list[Callable[[], None]]:
    """Further demo steps contributed by other flows (insights, queue, ...)."""
    return []
