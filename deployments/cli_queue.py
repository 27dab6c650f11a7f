"""CLI: ``engarde queue ...`` (the sign-up queue), ``engarde integrations`` and ``engarde check``.

Wire into the main app with :func:`register` (or add ``queue_app``, ``integrations_app`` and
``check`` yourself). Decisions made here are the same as in the Prefect UI review form:
recorded with who, when and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # imported by the commands that use them: the CLI must start fast
    from store import signups as repo

queue_app = typer.Typer(
    help="The platform sign-up queue: list, approve, reject, invite.", no_args_is_help=True
)
integrations_app = typer.Typer(help="The integrations this project talks to, and how to set them up.")
app = typer.Typer(help="Sign-up queue, integrations and connection checks.", no_args_is_help=True)


def _actor(by: str | None) -> str:
    return by or os.environ.get("ENGARDE_ADMIN") or f"cli:{getpass.getuser()}"


@queue_app.command("list")
def list_queue(
    status: Annotated[str | None, typer.Option(help="pending | approved | rejected | invited")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List queue entries (oldest first) with their decision and invitation state."""
    from signups.candidates import services_list
    from store import signups as repo
    from store.db import session_scope

    if status is not None and status not in repo.QUEUE_STATUSES:
        raise typer.BadParameter(f"status must be one of {', '.join(repo.QUEUE_STATUSES)}")
    with session_scope() as session:
        entries = repo.list_signups(session, status=status)
        latest = {i.email: i for i in repo.invitations(session, emails=[e.email for e in entries])}
        rows: list[dict[str, Any]] = [
            {
                "email": e.email,
                "name": " ".join(x for x in (e.first_name, e.last_name) if x),
                "phone": e.phone,
                "total_bookings": e.total_bookings,
                "services_used": services_list(e.services_used),
                "status": e.status,
                "queued_at": e.queued_at.isoformat(),
                "decided_by": e.decided_by,
                "decided_at": e.decided_at.isoformat() if e.decided_at else None,
                "note": e.decision_note,
                "invitation": latest[e.email].status if e.email in latest else None,
                "invitation_error": latest[e.email].error if e.email in latest else None,
            }
            for e in entries
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("The queue is empty." if status is None else f"No {status} entries.")
        return
    for r in rows:
        decided = f" by {r['decided_by']}" if r["decided_by"] else ""
        invite = f" invitation {r['invitation']}" if r["invitation"] else ""
        typer.echo(
            f"{r['email']:<36} {r['status']:<9}{decided}{invite}  "
            f"{r['total_bookings']} booking(s): {', '.join(r['services_used'])}"
        )
    typer.echo(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")


def _decide(
    decision: repo.Decision, emails: list[str] | None, all_: bool, note: str | None, by: str | None
) -> repo.DecisionResult:
    from store import signups as repo
    from store.db import session_scope

    if all_ == bool(emails):
        raise typer.BadParameter("give one or more emails, or --all (not both)")
    with session_scope() as session:
        result = repo.decide_signups(
            session, emails=None if all_ else emails, decision=decision, decided_by=_actor(by), note=note
        )
    typer.echo(f"{decision}: {len(result.decided)}")
    for email, status in sorted(result.not_pending.items()):
        typer.echo(f"  skipped {email}: already {status}")
    for email in result.unknown:
        typer.echo(f"  skipped {email}: not in the queue")
    return result


def _invite(emails: list[str] | None, by: str | None) -> None:
    from tasks.invitations import invite_approved, open_sender

    async def run() -> dict[str, int]:
        async with open_sender() as sender:
            report = await invite_approved(sender, invited_by=_actor(by), emails=emails)
        for outcome in report.outcomes:
            if outcome.status in ("failed", "unconfirmed"):
                typer.echo(f"  {outcome.email}: {outcome.status} {outcome.error or ''}".rstrip())
        return report.counts

    counts = asyncio.run(run())
    typer.echo("invitations: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none to send"))


EmailsArg = Annotated[list[str] | None, typer.Argument(help="emails of queued people")]
AllOpt = Annotated[bool, typer.Option("--all", help="every pending entry")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="why (recorded with the decision)")]
ByOpt = Annotated[str | None, typer.Option("--by", help="who decides (default: ENGARDE_ADMIN or cli:<user>)")]


@queue_app.command("approve")
def approve(
    emails: EmailsArg = None,
    all_: AllOpt = False,
    note: NoteOpt = None,
    by: ByOpt = None,
    invite: Annotated[bool, typer.Option(help="send the invitations now")] = True,
) -> None:
    """Approve pending people and (by default) send their invitations through Brevo."""
    result = _decide("approved", emails, all_, note, by)
    if invite and result.decided:
        _invite(result.decided, by)


@queue_app.command("reject")
def reject(emails: EmailsArg = None, all_: AllOpt = False, note: NoteOpt = None, by: ByOpt = None) -> None:
    """Reject pending people (they are never queued again)."""
    _decide("rejected", emails, all_, note, by)


@queue_app.command("invite")
def invite(emails: EmailsArg = None, by: ByOpt = None) -> None:
    """Send invitations to approved people not invited yet (e.g. after a failed send)."""
    _invite(emails or None, by)


@integrations_app.callback(invoke_without_command=True)
def list_integrations(ctx: typer.Context) -> None:
    """List the integrations: category, type, auth method, and whether their settings are present."""
    from connectors.registry import INTEGRATIONS, missing_settings

    if ctx.invoked_subcommand is not None:
        return
    for i in INTEGRATIONS:
        configured = "configured" if not missing_settings(i) else "not configured"
        typer.echo(f"{i.name:<17} {i.category:<21} {i.type:<9} {configured:<15} {i.auth_method}")
    typer.echo("\n`engarde integrations show NAME` prints one integration's setup guide.")


@integrations_app.command("show")
def show_integration(
    name: str, as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False
) -> None:
    """Everything about one integration, with its step-by-step setup guide."""
    from connectors.registry import get_integration

    try:
        i = get_integration(name)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0])) from None
    if as_json:
        typer.echo(i.model_dump_json(indent=2))
        return
    settings = " or ".join("(" + ", ".join(g) + ")" for g in i.required_settings)
    lines = [
        f"{i.title} — {i.category}, {i.type}",
        f"Auth:        {i.auth_method}",
        f"Settings:    {settings}",
        *([f"Optional:    {', '.join(i.optional_settings)}"] if i.optional_settings else []),
        f"Rate limits: {i.rate_limits}",
        f"Difficulty:  {i.setup_difficulty}",
        f"Pricing:     {i.pricing_model}",
        f"Regions:     {i.regions}",
        *([f"Scopes:      {', '.join(i.oauth_scopes)}"] if i.oauth_scopes else []),
        f"Docs:        {i.docs_url}",
        "Can:         " + ", ".join(i.capabilities),
        "",
        "Setup:",
        *[f"  {n}. {step}" for n, step in enumerate(i.setup_guide, 1)],
    ]
    typer.echo("\n".join(lines))


def check(
    timeout: Annotated[float, typer.Option(help="seconds to wait for each connection")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Test every configured connection: one line each (ok / not configured / not available / failing, why)."""
    from connectors.registry import INTEGRATIONS, CheckStatus, check_all, resolve

    # Import every client before any clock starts: the checks run together, and one connector's
    # first import would otherwise eat into the others' timeouts.
    for path in [p for i in INTEGRATIONS for p in (i.client_factory, i.settings_class) if p]:
        with contextlib.suppress(ImportError, AttributeError):  # "not available": its check says so
            resolve(path)
    results = asyncio.run(check_all(seconds=timeout))
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
    else:
        for r in results:
            typer.echo(r.line())
    if any(r.status is CheckStatus.FAILING for r in results):
        raise typer.Exit(code=1)


def register(parent: typer.Typer) -> None:
    """Add ``queue``, ``integrations`` and ``check`` to ``parent`` (the ``engarde`` app)."""
    parent.add_typer(queue_app, name="queue")
    parent.add_typer(integrations_app, name="integrations")
    parent.command("check")(check)


register(app)
