"""``engarde sandbox``: serve the offline twins of the outside services, and read their counters."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_ENV_FILE = Path(".engarde/sandbox.env")

app = typer.Typer(
    help="Offline twins of EasyAppointments, Eventbrite, Zoom, Brevo and Anthropic on loopback.",
    invoke_without_command=True,
)


@app.callback()
def serve(
    ctx: typer.Context,
    scale: Annotated[int, typer.Option(help="Appointments in the world (people ≈ scale/3).")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic world.")] = 7,
    faults: Annotated[
        float, typer.Option(help="Fraction of requests answered with an injected fault.")
    ] = 0.0,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
    budgets: Annotated[
        bool,
        typer.Option(help="Enforce the real API budgets per client (EasyAppointments 100/120 s, ...)."),
    ] = False,
    fast: Annotated[
        bool,
        typer.Option(
            help="Test speed: loose Brevo budgets, imports done in a second (default: Brevo's real pace)."
        ),
    ] = False,
    brevo_event_rate: Annotated[
        float,
        typer.Option(
            # the name sandbox.brevo.random_events.RATE_ENV (not imported: keeps --help fast)
            envvar="ENGARDE_SANDBOX_BREVO_EVENT_RATE",
            min=0,
            help="Random Brevo webhook events per minute (mostly delivered/opened, a few unsubscribes, "
            "bounces, spam), each changing a random contact as Brevo does; 0: none.",
        ),
    ] = 0.0,
    env_file: Annotated[
        Path, typer.Option("--env-file", help="Write the variables pointing connectors at the sandbox here.")
    ] = DEFAULT_ENV_FILE,
) -> None:
    """Serve every twin until interrupted; write the connectors' environment to --env-file.

    With --brevo-event-rate, the Brevo twin also sends random webhook events to the webhooks
    registered in it (`engarde setup` registers the receiver's).
    """
    if ctx.invoked_subcommand is not None:
        return
    import threading

    from sandbox.brevo.random_events import set_rate
    from sandbox.framework import RunningSandbox, new_context

    context = new_context(scale=scale, seed=seed, faults=faults, budgets=budgets, fast=fast or None)
    try:
        sandbox = RunningSandbox(context, port=port)
        set_rate(context.state["brevo"], brevo_event_rate)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    sandbox.start()
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sandbox.env.items()))
    typer.echo(
        f"sandbox serving at {sandbox.base_url} (world: {scale} appointments, seed {seed}, faults {faults}, "
        f"{'fast' if context.fast else 'real'} pace"
        + (f", {brevo_event_rate:g} random Brevo events a minute)" if brevo_event_rate else ")")
    )
    typer.echo(f"environment written to {env_file}; use `engarde --env-file {env_file} ...`")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


def _admin_url(env_file: Path) -> str:
    url = os.environ.get("ENGARDE_SANDBOX_URL")
    if not url and env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith("ENGARDE_SANDBOX_URL="):
                url = line.split("=", 1)[1].strip()
    if not url:
        raise typer.BadParameter(f"no running sandbox found: start `engarde sandbox` (it writes {env_file})")
    return url.rstrip("/")


@app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    env_file: Annotated[
        Path, typer.Option("--env-file", help="The file `engarde sandbox` wrote.")
    ] = DEFAULT_ENV_FILE,
) -> None:
    """Requests served per service and route, faults injected, and each twin's state."""
    import httpx

    url = _admin_url(env_file)
    try:
        data = httpx.get(f"{url}/stats", timeout=5).json()
    except httpx.HTTPError as exc:
        typer.echo(f"the sandbox at {url} does not answer ({exc}); is `engarde sandbox` running?", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for service, entry in data.items():
        if service == "faults_injected":
            typer.echo(f"faults injected: {entry or 'none'}")
            continue
        typer.echo(f"{service}: {entry['requests']} requests")
        for route, count in entry["routes"].items():
            typer.echo(f"    {count:7d}  {route}")
        if budget := entry.get("budget"):
            typer.echo(
                f"    budget: at most {budget['max_in_window']} requests in any {budget['seconds']:g} s window "
                f"of one client (real limit {budget['limit']}), {budget['refused']} refused"
            )
        if entry.get("state"):
            typer.echo(f"    state: {json.dumps(entry['state'])}")


@app.command("brevo-event")
def brevo_event(
    kind: Annotated[
        str, typer.Option(help="Subscription name: unsubscribed, hardBounce, spam, contactDeleted, ...")
    ],
    email: Annotated[str, typer.Option(help="The contact the event is about.")],
    list_id: Annotated[
        list[int] | None, typer.Option(help="List(s) of the event (default: the master list).")
    ] = None,
    env_file: Annotated[
        Path, typer.Option("--env-file", help="The file `engarde sandbox` wrote.")
    ] = DEFAULT_ENV_FILE,
) -> None:
    """Make the Brevo twin send one webhook event; the contact changes first, as in Brevo."""
    import httpx

    url = _admin_url(env_file).rsplit("/_sandbox", 1)[0] + "/brevo/_sandbox/events"
    try:
        answer = httpx.post(url, json={"kind": kind, "email": email, "list_ids": list_id or []}, timeout=30)
    except httpx.HTTPError as exc:
        typer.echo(f"the sandbox at {url} does not answer ({exc}); is `engarde sandbox` running?", err=True)
        raise typer.Exit(1) from exc
    if answer.status_code != 200:
        typer.echo(f"refused: {answer.json().get('message', answer.text)}", err=True)
        raise typer.Exit(2)
    data = answer.json()
    unanswered = data["delivered"].count(0)
    typer.echo(
        f"{kind} for {data['email']}: contact {'changed' if data['known'] else 'unknown to the twin'}; "
        f"delivered to {len(data['delivered'])} webhook(s), answers {data['delivered'] or 'none'}"
        + (f" ({unanswered} did not answer: is the receiver running?)" if unanswered else "")
    )
