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

from datetime import datetime

import pandas as pd
from prefect import flow
from prefect.logging import get_run_logger

from audience.from_poshvip import (
    affected_emails,
    poshvip_interactions,
    poshvip_ledger,
)
from insights.revenue import RevenueReport, revenue_summary
from tasks.failures import explains_failures
from tasks.poshvip import (
    load_poshvip_history,
    map_stored_events,
    select_poshvip_events,
    store_poshvip_results,
    touched_orders,
)
from tasks.poshvip_digest import send_admin_digest
from tasks.poshvip_report import PoshvipEventsSummary, RunFigures, publish_run_artifacts, summarize
from tasks.secrets import resolve_secret_blocks

__all__ = ["PoshvipEventsSummary", "poshvip_events", "sync_affected_people"]


async def sync_affected_people(emails: list[str]) -> bool:
    """AUDIENCE HOOK: send the affected people down the audience-sync path (people, segments, Brevo).

    Runs ``audience-sync`` as a subflow with no extraction (``sources=[]``) limited to ``emails``.
    A failure is logged and does not fail this run: the events are stored and processed, and the
    next audience-sync run pushes these people. Returns True when the sync ran.
    """
    from flows.audience_sync import audience_sync

    try:
        await audience_sync(sources=[], emails=emails)
    except Exception as exc:
        get_run_logger().warning(
            "audience sync of %d affected people failed: %s: %s", len(emails), type(exc).__name__, exc
        )
        return False
    return True


def window_revenue(
    ledger: pd.DataFrame, received_from: datetime | None, received_to: datetime | None
) -> tuple[str, RevenueReport] | None:
    """The revenue of every mapped event received in the asked window (None without a window)."""
    if not (received_from or received_to):
        return None
    report = revenue_summary(
        ledger,
        date_from=received_from.date() if received_from else None,
        date_to=received_to.date() if received_to else None,
    )
    return f"Revenue {received_from or '…'} to {received_to or '…'}", report


@flow(name="poshvip-events", log_prints=False)
@explains_failures
async def poshvip_events(
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    event_ids: list[int] | None = None,
    replay: bool = False,
    dry_run: bool = False,
    sync_audience: bool = True,
) -> PoshvipEventsSummary:
    """Process stored Posh.VIP events (see the module docstring).

    ``received_from`` / ``received_to`` (``to`` exclusive) and ``event_ids`` narrow the events;
    with a window, the revenue artifact also covers every mapped event in that window.
    ``replay`` re-processes events whatever their status (all unmapped ones when nothing
    narrows it). ``dry_run`` maps and reports but writes, syncs and emails nothing.
    ``sync_audience=False`` skips the audience-sync subflow (the next audience-sync run pushes
    the people).
    """
    resolve_secret_blocks()
    stored = select_poshvip_events(
        replay=replay, received_from=received_from, received_to=received_to, event_ids=event_ids
    )
    result = map_stored_events(stored)
    history = load_poshvip_history(exclude_ids=[s.id for s in stored])
    interactions = poshvip_interactions(touched_orders(history, result.mapped))
    emails = affected_emails(interactions)
    written = 0
    if not dry_run and result.outcomes:
        written = store_poshvip_results(interactions=interactions, outcomes=result.outcomes)
    ledger = poshvip_ledger(history + result.mapped)
    run_report = revenue_summary(ledger, webhook_ids={m.webhook_id for m in result.mapped})
    figures = RunFigures(
        selected=len(stored),
        orders=len({m.event.order_id for m in result.mapped}),
        interactions=len(interactions) if dry_run else written,
        affected_people=len(emails),
        replay=replay,
        dry_run=dry_run,
    )
    summary = summarize(result, figures, run_report)
    if emails and not dry_run and sync_audience:
        summary.audience_synced = await sync_affected_people(emails)
    await publish_run_artifacts(summary, run_report, window_revenue(ledger, received_from, received_to))
    summary.admins_emailed = await send_admin_digest(summary, result.unmapped)
    return summary
