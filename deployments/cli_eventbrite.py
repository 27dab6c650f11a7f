"""``engarde eventbrite``: connect an Eventbrite account with the OAuth2 authorization-code flow.

``authorize`` prints the URL an organizer opens; ``exchange CODE`` trades the code for a token
and stores it (the database's platform connections by default, or a Prefect Secret block with
``--prefect-secret``). The token is never printed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported by the commands that use them: the CLI must start fast
    from pydantic import SecretStr

PROVIDER = "eventbrite"
DEFAULT_BLOCK = "eventbrite-oauth-token"

app = typer.Typer(help="Connect an Eventbrite account (OAuth2 authorization code).", no_args_is_help=True)


def check_database() -> str:
    """Where the token would go; raises (with the fixing command) when the database is not migrated."""
    from store.db import default_engine

    engine = default_engine()
    return engine.url.render_as_string(hide_password=True)


def save_token_to_database(token: SecretStr) -> str:
    """Store the token as the ``eventbrite`` platform connection (created or replaced); says where."""
    from sqlalchemy import select

    from store.db import default_engine, session_scope
    from store.models import PlatformConnection

    engine = default_engine()
    now = datetime.now(UTC)
    with session_scope() as session:
        row = session.scalar(select(PlatformConnection).where(PlatformConnection.provider == PROVIDER))
        if row is None:
            row = PlatformConnection(provider=PROVIDER, config={}, created_at=now)
            session.add(row)
        row.auth_method = "oauth2"
        row.credentials = token.get_secret_value()
        row.status = "connected"
        row.updated_at = now
    return f"the platform connections of {engine.url.render_as_string(hide_password=True)}"


def save_token_to_prefect(token: SecretStr, *, block_name: str = DEFAULT_BLOCK) -> str:
    """Store the token as a Prefect ``Secret`` block (overwriting one of the same name); says where."""
    from prefect.blocks.system import Secret

    Secret(value=token.get_secret_value()).save(block_name, overwrite=True)
    return f"the Prefect Secret block '{block_name}'"


@app.command("authorize")
def authorize(
    state: Annotated[str | None, typer.Option(help="Opaque value echoed back on the redirect.")] = None,
) -> None:
    """Print the URL that grants this app access (needs EVENTBRITE_CLIENT_ID / _SECRET)."""
    from connectors.eventbrite import EventbriteSettings, authorize_url

    try:
        url = authorize_url(EventbriteSettings(), state=state)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo("Open this URL as the organizer, grant access, and copy the `code` from the redirect:")
    typer.echo(url)
    typer.echo("Then run: engarde eventbrite exchange CODE   (add --prefect-secret to store it in Prefect)")


@app.command("exchange")
def exchange(
    code: Annotated[str, typer.Argument(help="The `code` parameter of the redirect after authorize.")],
    prefect_secret: Annotated[
        bool, typer.Option("--prefect-secret", help="Store the token as a Prefect Secret block.")
    ] = False,
    block_name: Annotated[str, typer.Option(help="Name of the Prefect Secret block.")] = DEFAULT_BLOCK,
) -> None:
    """Exchange CODE for an access token and store it; the token itself is never shown."""
    from connectors.eventbrite import EventbriteSettings, exchange_code
    from connectors.http import ConnectorError

    if not prefect_secret:
        # Check the destination before spending the single-use code.
        try:
            check_database()
        except Exception as exc:
            typer.echo(
                f"Cannot store the token in the database: {exc}\n"
                "Run `engarde db upgrade` first, or pass --prefect-secret to store it as a Prefect Secret block.",
                err=True,
            )
            raise typer.Exit(2) from exc
    try:
        token = asyncio.run(exchange_code(code, EventbriteSettings()))
    except (ValueError, ConnectorError) as exc:
        typer.echo(f"Eventbrite did not give a token: {exc}", err=True)
        raise typer.Exit(1) from exc
    where = (
        save_token_to_prefect(token, block_name=block_name)
        if prefect_secret
        else save_token_to_database(token)
    )
    typer.echo(f"Eventbrite token stored in {where}.")
    if prefect_secret:
        typer.echo(f"Flows read it with Secret.load('{block_name}'); set EVENTBRITE_OAUTH_TOKEN from it.")
