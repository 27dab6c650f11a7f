"""Flow ``poshvip-events``: process stored Posh.VIP webhook events into the audience.

Stored, unprocessed deliveries are mapped by the versioned adapter in order of receipt;
each affected order is re-derived from its whole history into ticket interactions
(paid / refunded / transferred / attended), stored with the events' outcomes in one
transaction, and the affected people go down the audience-sync path. Events the adapter
cannot map stay stored, marked ``unmapped`` with the reason (``failed`` if mapping one raised
anything else: each delivery is processed in isolation), and are listed in the run's
artifact; ``replay=True`` re-processes them (or any window / ids) after an adapter fix.
Each run publishes revenue analytics (gross, refunds, net, tickets, buyers per event and
per day) and an admin digest (logged; emailed when ``ADMIN_NOTIFICATION_EMAILS`` is set).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Any

import pandas as pd
from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.logging import get_run_logger
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from audience.from_poshvip import (
    ReceivedEvent,
    affected_emails,
    poshvip_interactions,
    poshvip_ledger,
)
from flows.failures import explains_failures
from insights.revenue import RevenueReport, revenue_summary
from store.db import make_engine
from store.migrate import ensure_migrated
from tasks.poshvip import (
    UnmappedItem,
    email_admin_digest,
    load_poshvip_history,
    map_stored_events,
    select_poshvip_events,
    store_poshvip_results,
)
from tasks.secrets import resolve_secret_blocks


class PoshvipFlowSettings(BaseSettings):
    """``ADMIN_NOTIFICATION_EMAILS``: comma-separated recipients of the run's digest (optional)."""

    model_config = SettingsConfigDict(extra="ignore")

    admin_notification_emails: str | None = Field(
        default=None,
        description="comma-separated recipients of the Posh.VIP events run's digest email; unset: no digest",
    )

    def recipients(self) -> list[str]:
        """The digest's recipients, trimmed, empties dropped."""
        return [e.strip() for e in (self.admin_notification_emails or "").split(",") if e.strip()]


class RevenueRow(BaseModel):
    """Revenue in one currency."""

    currency: str
    gross: float
    refunds: float
    net: float
    tickets: int
    buyers: int


class PoshvipEventsSummary(BaseModel):
    """What one run did (printed as JSON by the CLI)."""

    selected: int = 0
    processed: int = 0
    unmapped: int = 0
    orders: int = 0
    interactions: int = 0
    affected_people: int = 0
    new_purchases: int = 0
    refunds: int = 0
    transfers: int = 0
    check_ins: int = 0
    revenue: list[RevenueRow] = Field(default_factory=list)
    unmapped_events: list[dict[str, Any]] = Field(default_factory=list)
    audience_synced: bool = False
    admins_emailed: bool = False
    replay: bool = False
    dry_run: bool = False


# --------------------------------------------------------------------------- hooks


def sync_affected_people(emails: list[str], *, dry_run: bool) -> bool:
    """AUDIENCE HOOK: send the affected people down the audience-sync path (people, segments, Brevo).

    Runs ``audience-sync`` as a subflow with no extraction (``sources=[]``) limited to ``emails``;
    it reads the database named by ``DATABASE_URL``. A failure is logged and does not fail this
    run: the events are stored and processed, and the next audience-sync run pushes these people.
    Returns True when the sync ran.
    """
    from flows.audience_sync import audience_sync

    logger = get_run_logger()
    try:
        asyncio.run(audience_sync(sources=[], emails=emails, dry_run=dry_run))
    except Exception as exc:
        logger.warning(
            "audience sync of %d affected people failed: %s: %s", len(emails), type(exc).__name__, exc
        )
        return False
    return True


def send_admin_digest(recipients: list[str], subject: str, text: str, *, dry_run: bool, run_key: str) -> bool:
    """NOTIFICATION HOOK: email the digest with Brevo transactional email (``connectors.brevo``).

    Returns True when an email was sent. The caller always logs the digest; a failed send is
    logged and does not fail the run (the events are already stored and processed).
    """
    logger = get_run_logger()
    if not recipients or dry_run:
        return False
    try:
        email_admin_digest(recipients, subject, text, idempotency_key=run_key)
    except Exception as exc:
        logger.warning("admin digest not emailed: %s: %s", type(exc).__name__, exc)
        return False
    return True


# --------------------------------------------------------------------------- rendering


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[assignment]
    for row in out:
        for key, value in row.items():
            if isinstance(value, date | datetime):
                row[key] = value.isoformat()
    return out


def _table_md(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_\n"
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in _records(frame):
        lines.append("| " + " | ".join("" if row[c] is None else str(row[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _revenue_md(title: str, report: RevenueReport) -> str:
    return (
        f"### {title}\n\n**Totals**\n\n{_table_md(report.totals)}\n**Per event**\n\n"
        f"{_table_md(report.per_event)}\n**Per day**\n\n{_table_md(report.per_day)}\n"
    )


def digest_text(summary: PoshvipEventsSummary, unmapped: list[UnmappedItem]) -> str:
    """The admin digest: new purchases, refunds, unmapped events, net revenue (no personal data)."""
    lines = [
        f"Posh.VIP events processed: {summary.processed} (unmapped: {summary.unmapped})",
        f"New purchases: {summary.new_purchases}; refunds: {summary.refunds}; "
        f"transfers: {summary.transfers}; check-ins: {summary.check_ins}",
    ]
    lines += [
        f"Revenue {r.currency}: gross {r.gross:.2f}, refunds {r.refunds:.2f}, net {r.net:.2f}, "
        f"{r.tickets} tickets, {r.buyers} buyers"
        for r in summary.revenue
    ]
    for item in unmapped[:20]:
        label = "Failed" if item.status == "failed" else "Unmapped"
        lines.append(f"{label} event #{item.id} ({item.event_type or 'unknown type'}): {item.reason}")
    if len(unmapped) > 20:
        lines.append(f"... and {len(unmapped) - 20} more unmapped events (see the run's artifact)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- flow


def flow_run_key() -> str:
    """This flow run's id (a fresh uuid outside a run)."""
    from prefect.runtime import flow_run

    return str(flow_run.id or uuid.uuid4())


@flow(name="poshvip-events", log_prints=False)
@explains_failures
def poshvip_events(
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    event_ids: list[int] | None = None,
    replay: bool = False,
    dry_run: bool = False,
    sync_audience: bool = True,
    database_url: str | None = None,
) -> PoshvipEventsSummary:
    """Process stored Posh.VIP events (see the module docstring).

    ``received_from`` / ``received_to`` (``to`` exclusive) and ``event_ids`` narrow the events;
    with a window, the revenue artifact also covers every mapped event in that window.
    ``replay`` re-processes events whatever their status (all unmapped ones when nothing
    narrows it). ``dry_run`` maps and reports but writes, syncs and emails nothing.
    ``sync_audience=False`` skips the audience-sync subflow (the next audience-sync run pushes
    the people). ``database_url`` overrides ``DATABASE_URL`` for this flow's own reads and writes.
    """
    resolve_secret_blocks()
    logger = get_run_logger()
    engine = make_engine(database_url)
    try:
        ensure_migrated(engine)
        stored = select_poshvip_events(
            engine, replay=replay, received_from=received_from, received_to=received_to, event_ids=event_ids
        )
        result = map_stored_events(stored)
        this_run = {m.webhook_id for m in result.mapped}
        history = load_poshvip_history(engine, exclude_ids=[s.id for s in stored])
        touched = {m.event.order_id for m in result.mapped}
        orders_events: list[ReceivedEvent] = [
            h for h in history if h.event.order_id in touched
        ] + result.mapped
        interactions = poshvip_interactions(orders_events)
        emails = affected_emails(interactions)
        written = 0
        if not dry_run and result.outcomes:
            written = store_poshvip_results(engine, interactions=interactions, outcomes=result.outcomes)
        ledger = poshvip_ledger(history + result.mapped)
        run_report = revenue_summary(ledger, webhook_ids=this_run)
        kinds = [m.event.event_type for m in result.mapped]
        summary = PoshvipEventsSummary(
            selected=len(stored),
            processed=len(result.mapped),
            unmapped=len(result.unmapped),
            orders=len(touched),
            interactions=written if not dry_run else len(interactions),
            affected_people=len(emails),
            new_purchases=kinds.count("purchase.created"),
            refunds=kinds.count("purchase.refunded"),
            transfers=kinds.count("ticket.transferred"),
            check_ins=kinds.count("ticket.checked_in"),
            revenue=[
                RevenueRow(
                    **{k: row[k] for k in ("currency", "gross", "refunds", "net", "tickets", "buyers")}
                )
                for row in _records(run_report.totals)
            ],
            unmapped_events=[
                {
                    "id": u.id,
                    "received_at": u.received_at.isoformat(),
                    "event_type": u.event_type,
                    "status": u.status,
                    "reason": u.reason,
                }
                for u in result.unmapped
            ],
            replay=replay,
            dry_run=dry_run,
        )
        if emails and not dry_run and sync_audience:
            summary.audience_synced = sync_affected_people(emails, dry_run=dry_run)
        markdown = [
            f"## Posh.VIP events{' (dry run)' if dry_run else ''}{' (replay)' if replay else ''}\n",
            f"Selected {summary.selected}, processed {summary.processed}, unmapped {summary.unmapped}; "
            f"{summary.orders} orders, {summary.interactions} interactions, {summary.affected_people} people.\n",
            "### Unmapped events\n",
            _table_md(
                pd.DataFrame(
                    summary.unmapped_events, columns=["id", "received_at", "event_type", "status", "reason"]
                )
            ),
            _revenue_md("Revenue from this run's events", run_report),
        ]
        if received_from or received_to:
            window = revenue_summary(
                ledger,
                date_from=received_from.date() if received_from else None,
                date_to=received_to.date() if received_to else None,
            )
            markdown.append(_revenue_md(f"Revenue {received_from or '…'} to {received_to or '…'}", window))
        create_markdown_artifact("\n".join(markdown), key="poshvip-events", description="Posh.VIP events run")
        if summary.unmapped_events:
            create_table_artifact(
                summary.unmapped_events, key="poshvip-unmapped", description="Unmapped Posh.VIP events"
            )
        if not run_report.per_event.empty:
            create_table_artifact(
                _records(run_report.per_event), key="poshvip-revenue", description="Revenue per event"
            )
        digest = digest_text(summary, result.unmapped)
        logger.info("admin digest:\n%s", digest)
        if summary.processed or summary.unmapped:
            recipients = PoshvipFlowSettings().recipients()
            summary.admins_emailed = send_admin_digest(
                recipients,
                f"Posh.VIP: {summary.new_purchases} purchases, {summary.refunds} refunds",
                digest,
                dry_run=dry_run,
                run_key=f"poshvip-events-{flow_run_key()}",
            )
        return summary
    finally:
        engine.dispose()
