"""``engarde setup``: everything the deployments rely on, created or updated in the Prefect server.

Idempotent, safe on every deploy. In order: the project database is at the newest schema (the
run locks live there) and its stored credentials are encrypted; the ``engarde`` process work pool; one global concurrency limit with slot
decay per outside budget (tasks/budgets.py); the failure-alert automation; Brevo's webhooks to the
receiver (deployments/setup_brevo_webhooks.py). Each line printed says
``created``, ``changed`` or ``ok`` (found already right).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

import typer

POOL = "engarde"


@dataclass
class Outcome:
    """One thing setup looked at: what it is and what it did (created / changed / ok / missing)."""

    what: str
    action: str
    detail: str = ""

    def line(self) -> str:
        """``created   work pool engarde (process)``."""
        return f"{self.action:8} {self.what}" + (f" ({self.detail})" if self.detail else "")


async def ensure_work_pool(client: Any, name: str = POOL) -> Outcome:
    """The process work pool ``name`` exists."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    try:
        pool = await client.read_work_pool(name)
    except ObjectNotFound:
        await client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        return Outcome(f"work pool {name}", "created", "process")
    if pool.type != "process":
        return Outcome(f"work pool {name}", "mismatch", f"type {pool.type}, expected process: left as is")
    return Outcome(f"work pool {name}", "ok", "process")


async def ensure_limit(client: Any, name: str, limit: int, decay: float, why: str) -> Outcome:
    """The global concurrency limit ``name`` exists with ``limit`` slots decaying at ``decay`` per second."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    detail = f"{why}: {limit} slots, {decay:g}/s decay"
    try:
        found = await client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        await client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=limit, slot_decay_per_second=decay, active=True)
        )
        return Outcome(f"limit {name}", "created", detail)
    if found.limit == limit and abs(found.slot_decay_per_second - decay) < 1e-9 and found.active:
        return Outcome(f"limit {name}", "ok", detail)
    await client.update_global_concurrency_limit(
        name, GlobalConcurrencyLimitUpdate(limit=limit, slot_decay_per_second=decay, active=True)
    )
    return Outcome(f"limit {name}", "changed", detail)


def check_database() -> Outcome:
    """The project database is migrated (the run locks and checkpoints live there)."""
    from store.db import DatabaseNotMigrated, default_engine

    try:
        engine = default_engine()
    except DatabaseNotMigrated as exc:
        return Outcome("project database", "missing", str(exc))
    from store.encryption import encrypt_plain_rows

    where = engine.url.render_as_string(hide_password=True)
    if encrypted := encrypt_plain_rows(engine):
        return Outcome(
            "project database", "changed", f"{where}: {encrypted} plain-text credential(s) encrypted"
        )
    return Outcome(
        "project database", "ok", f"{where}: newest schema, run locks table, credentials encrypted"
    )


async def run_setup(pool: str = POOL) -> list[Outcome]:
    """Create or update everything; return what was done, in order."""
    from prefect.client.orchestration import get_client

    from deployments.setup_alerts import ensure_failure_automation
    from deployments.setup_brevo_webhooks import ensure_brevo_webhooks
    from tasks.budgets import configured_budgets

    outcomes = [check_database()]
    async with get_client() as client:
        outcomes.append(await ensure_work_pool(client, pool))
        for budget in configured_budgets():
            why = f"{budget.requests} requests / {budget.seconds:g} s"
            outcomes.append(await ensure_limit(client, budget.name, budget.burst, budget.decay, why))
        outcomes.append(await ensure_failure_automation(client))
    outcomes.append(await ensure_brevo_webhooks())
    return outcomes


def setup(
    pool: Annotated[str, typer.Option(help="Name of the process work pool the deployments use.")] = POOL,
) -> None:
    """Create or update in the Prefect server what the deployments rely on (safe to run on every deploy).

    Needs PREFECT_API_URL (the server) and the connectors' settings (each configured outside budget
    gets its Prefect limit). Prints one line per thing: created, changed or ok.
    """
    import os

    if not os.environ.get("PREFECT_API_URL"):
        typer.echo("engarde setup needs PREFECT_API_URL: the Prefect server the workers use.", err=True)
        raise typer.Exit(2)
    outcomes = asyncio.run(run_setup(pool))
    for outcome in outcomes:
        typer.echo(outcome.line())
    if any(o.action in ("missing", "mismatch") for o in outcomes):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``setup`` to the ``engarde`` command."""
    app.command("setup")(setup)
