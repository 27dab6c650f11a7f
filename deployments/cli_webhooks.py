"""``engarde receiver`` (serve the Posh.VIP webhook receiver) and ``engarde sandbox poshvip-send``.

Wire with ``app.command("receiver")(cli_webhooks.receiver)`` and
``cli_sandbox.app.command("poshvip-send")(cli_webhooks.poshvip_send)``; ``app`` holds both too.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Annotated

import typer

SANDBOX_SECRET = "sandbox-poshvip-secret"  # the value sandbox.framework.service_urls() hands out

app = typer.Typer(help="The Posh.VIP webhook receiver and its sandbox sender.", no_args_is_help=True)


@app.command("receiver")
def receiver(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8080,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
    insecure_dev: Annotated[
        bool, typer.Option("--insecure-dev", help="Run WITHOUT a webhook secret (development only).")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve POST /api/webhooks/poshvip, /healthz, /readyz and /metrics (needs POSHVIP_WEBHOOK_SECRET)."""
    from store.db import DatabaseNotMigrated
    from webhooks.app import ReceiverConfigError
    from webhooks.server import serve

    try:
        serve(host=host, port=port, workers=workers, insecure_dev=insecure_dev, log_level=log_level)
    except (ReceiverConfigError, DatabaseNotMigrated) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


@app.command("poshvip-send")
def poshvip_send(
    url: Annotated[
        str, typer.Option(help="The receiver's Posh.VIP URL.")
    ] = "http://127.0.0.1:8080/api/webhooks/poshvip",
    count: Annotated[int, typer.Option(help="Deliveries to send (valid + duplicates + forged).")] = 100,
    duplicate_rate: Annotated[float, typer.Option(help="Share of byte-identical redeliveries.")] = 0.0,
    forged_rate: Annotated[float, typer.Option(help="Share of deliveries signed with a wrong secret.")] = 0.0,
    concurrency: Annotated[int, typer.Option(help="Deliveries in flight at once.")] = 8,
    scale: Annotated[int, typer.Option(help="World size (as `engarde sandbox --scale`).")] = 2000,
    seed: Annotated[int, typer.Option(help="World seed.")] = 7,
    story: Annotated[int, typer.Option(help="Seed of the event story (change it to send new events).")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fire signed deliveries about the shared world's Posh.VIP buyers; print what was sent and what came back.

    The secret is POSHVIP_WEBHOOK_SECRET, or the sandbox's when unset.
    """
    from sandbox.poshvip_sender import build_deliveries, send_deliveries
    from sandbox.world import build_world

    if not (0 <= duplicate_rate <= 1 and 0 <= forged_rate <= 1 and duplicate_rate + forged_rate <= 1):
        raise typer.BadParameter("rates must be in [0, 1] and add up to at most 1")
    secret = os.environ.get("POSHVIP_WEBHOOK_SECRET") or SANDBOX_SECRET
    deliveries = build_deliveries(
        build_world(scale, seed),
        count,
        secret=secret,
        duplicate_rate=duplicate_rate,
        forged_rate=forged_rate,
        seed=story,
    )
    report = asyncio.run(send_deliveries(url, deliveries, concurrency=concurrency))
    data = report.as_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"sent {sum(report.sent.values())} deliveries to {url}: {dict(report.sent)}")
    for kind, statuses in sorted(data["by_kind"].items()):
        typer.echo(f"  {kind:9s} -> {statuses}")
    if report.errors:
        typer.echo(f"  errors: {dict(report.errors)}")
    typer.echo(
        f"{data['deliveries_per_s']} deliveries/s, p50 {data['p50_ms']} ms, p99 {data['p99_ms']} ms "
        f"({data['seconds']} s)"
    )
