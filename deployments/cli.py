"""The ``engarde`` command: database, sandbox, demo, flow runs, the local Prefect UI and serving."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from deployments import runtime

app = typer.Typer(
    help="En Garde audience pipelines: Prefect flows from bookings, tickets and webinars to Brevo and insights.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
    rich_markup_mode=None,  # plain help: importing rich would cost more than the whole 0.3 s start budget
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def _main(
    env_file: Annotated[
        Path | None,
        typer.Option("--env-file", help="Read KEY=VALUE settings from this file (the environment wins)."),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of failures an admin can fix (or ENGARDE_DEBUG=1)."),
    ] = False,
) -> None:
    if debug:
        os.environ["ENGARDE_DEBUG"] = "1"
    if env_file is not None:
        runtime.load_env_file(env_file)
    runtime.apply_defaults()


def _engine() -> Any:
    from store.db import make_engine

    return make_engine()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database at DATABASE_URL to the newest schema."""
    from store.migrate import current_revision, head_revision, upgrade

    engine = _engine()
    before = current_revision(engine)
    upgrade(engine)
    typer.echo(
        f"database {engine.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {head_revision()}"
    )


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the one the code needs."""
    from store.migrate import current_revision, head_revision

    engine = _engine()
    typer.echo(
        f"database at {current_revision(engine) or 'nothing (never migrated)'}; code needs {head_revision()}"
    )


def _parse_params(params: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in params:
        key, sep, raw = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip().replace("-", "_")] = value
    return out


@app.command("run")
def run_flow(
    flow: Annotated[str, typer.Argument(help="Flow name, e.g. audience-sync (see `engarde flows`).")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Flow parameter KEY=VALUE (JSON values allowed); repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the flow's result as JSON.")] = False,
) -> None:
    """Run one flow now, through Prefect, and print its summary."""
    from deployments.cli_errors import quiet_console, validate_parameters
    from deployments.flows_index import load_flow

    try:
        flow_obj = load_flow(flow)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    params = _parse_params(param or [])
    validate_parameters(flow_obj, params)  # a bad value is refused before any run is created
    quiet_console()
    result = flow_obj(**params)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    _print_result(result, as_json)


def _print_result(result: Any, as_json: bool) -> None:
    data = result.model_dump(mode="json") if hasattr(result, "model_dump") else result
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
    elif hasattr(result, "render"):
        typer.echo(result.render())
    else:
        typer.echo(json.dumps(data, indent=2, default=str))


@app.command("flows")
def list_flows() -> None:
    """List the flows `engarde run` knows."""
    from deployments.flows_index import FLOWS

    for name, target in sorted(FLOWS.items()):
        typer.echo(f"{name:24} {target}")


@app.command("config")
def config(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the reference table (README's) instead.")
    ] = False,
) -> None:
    """Every setting this project reads, with its value here (secrets masked)."""
    from deployments.config_doc import current_values, render_markdown

    if markdown:
        typer.echo(render_markdown())
        return
    for name, value in current_values():
        typer.echo(f"{name:40} {value}")


@app.command("demo")
def demo(
    scale: Annotated[int, typer.Option(help="Appointments in the sandbox world.")] = 3000,
    seed: Annotated[int, typer.Option(help="World seed.")] = 7,
) -> None:
    """Run the main job end to end on a fresh SQLite file and the sandbox (no credentials needed)."""
    from deployments.demo import run_demo

    sys.exit(run_demo(scale=scale, seed=seed))


@app.command("ui")
def ui(
    port: Annotated[int, typer.Option(help="Port of the local Prefect server.")] = runtime.UI_PORT,
) -> None:
    """Start a local Prefect server with its UI on 127.0.0.1; flow runs started meanwhile appear there."""
    import subprocess

    env = {**os.environ, "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port)}
    env.pop("PREFECT_API_URL", None)
    typer.echo(f"Prefect UI at http://127.0.0.1:{port} (Ctrl+C stops it)")
    raise typer.Exit(
        subprocess.call(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
        )
    )


@app.command("serve")
def serve() -> None:
    """Run every deployment of prefect.yaml on its schedule in this process (no worker needed)."""
    from deployments.serve import serve_all

    serve_all()


from deployments import cli_appointments, cli_eventbrite, cli_queue, cli_sandbox, cli_setup, cli_webhooks  # noqa: E402

app.registered_commands.extend(cli_appointments.app.registered_commands)
app.command("receiver")(cli_webhooks.receiver)
cli_sandbox.app.command("poshvip-send")(cli_webhooks.poshvip_send)
cli_queue.register(app)
cli_setup.register(app)
app.add_typer(cli_sandbox.app, name="sandbox")
app.add_typer(cli_eventbrite.app, name="eventbrite")


def main() -> None:
    """Entry point of the ``engarde`` console script."""
    from deployments.cli_errors import run_cli

    run_cli(app)


if __name__ == "__main__":
    main()
