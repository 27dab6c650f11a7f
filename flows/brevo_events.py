"""Flow ``brevo-events``: stored Brevo webhook deliveries -> opt-outs and invitation delivery states.

The receiver stores each delivery raw (``POST /api/webhooks/brevo``); this flow reads the pending
ones in order of receipt and, per event:

- unsubscribed, spam, hard bounce, contact deleted: the person opts out at once in the store
  (``brevo_opt_outs``); every later push treats them as Brevo's own blocklist is treated, so
  audience-sync never (re)adds them and counts them as consent skips;
- an event about an invitation email (its ``message-id``): the invitation is marked
  ``delivered``, ``bounced`` (through :func:`store.signups.mark_bounced`) or ``blocked``.

A delivery that is not Brevo's shape is marked ``unmapped`` with the reason, never lost.
The run's artifact (key ``brevo-events``) has a table of the events per kind (received,
applied, skipped and why), the consent changes and the invitations marked, and its notes as a
list (:func:`tasks.brevo_report.events_markdown`).
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from tasks.brevo_events import BrevoEventsSummary, apply_brevo_events
from tasks.brevo_report import events_markdown


@flow(name="brevo-events", log_prints=False)
async def brevo_events(limit: int | None = None) -> BrevoEventsSummary:
    """Apply the stored Brevo webhook deliveries: opt-outs at once, invitation delivery states."""
    summary = apply_brevo_events(limit)
    get_run_logger().info("\n%s", summary.render())
    await acreate_markdown_artifact(
        key="brevo-events", markdown=events_markdown(summary), description="Brevo webhook events"
    )
    return summary
