"""The admin digest of a ``poshvip-events`` run, emailed with Brevo transactional email.

The digest is always logged; it is emailed when ``ADMIN_NOTIFICATION_EMAILS`` is set and the run
is not a dry run. A failed send is logged and does not fail the run (the events are already
stored and processed).

It also counts what Brevo's webhooks brought since the previous digest (the previous run that
processed Posh.VIP deliveries, :func:`store.brevo_digest.digest_period`): people who
unsubscribed, hard-bounced, complained or were deleted in Brevo, and invitation emails
delivered, bounced or blocked, from the deliveries the ``brevo-events`` flow applied
(:func:`tasks.brevo_report.brevo_digest`). If that cannot be read, the digest says so and goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from store.brevo_digest import applied_deliveries, digest_period, invitation_message_ids
from store.db import session_scope
from store.webhook_events import count_events
from tasks.admin_notifications import AdminNotificationSettings
from tasks.brevo_events import PROVIDER as BREVO
from tasks.brevo_report import BrevoDigest, brevo_digest, digest_lines, parse_applied
from tasks.poshvip import PROVIDER as POSHVIP
from tasks.poshvip import UnmappedItem
from tasks.poshvip_report import PoshvipEventsSummary, digest_text
from tasks.run_logger import run_logger


# Sends an email: never served from a cache.
@task(name="email-admin-digest", cache_policy=NO_CACHE)
async def email_admin_digest(
    recipients: Sequence[str], subject: str, text: str, *, idempotency_key: str
) -> str | None:
    """Send the digest to ``recipients`` by Brevo transactional email; returns Brevo's message id.

    Never retried: Brevo cannot de-duplicate sends (the key travels as a tag for the record).
    """
    from connectors.brevo import BrevoClient, BrevoSettings

    async with BrevoClient(BrevoSettings()) as brevo:
        sent = await brevo.send_transactional_email(
            list(recipients), subject, text=text, tags=["poshvip-digest"], idempotency_key=idempotency_key
        )
    run_logger(__name__).info("admin digest emailed to %d recipient(s)", len(recipients))
    return sent.message_id


def flow_run_key() -> str:
    """This flow run's id (a fresh uuid outside a run)."""
    from prefect.runtime import flow_run

    return str(flow_run.id or uuid.uuid4())


def read_brevo_digest(*, stored: bool) -> BrevoDigest:
    """Brevo's webhook events applied since the previous digest (``stored``: this run marked deliveries)."""
    with session_scope() as session:
        since, until = digest_period(session, provider=POSHVIP, stored=stored)
        events, unmapped = parse_applied(
            applied_deliveries(session, provider=BREVO, since=since, until=until)
        )
        invitations = invitation_message_ids(session, (e.message_id for e in events if e.message_id))
        pending = count_events(session, provider=BREVO)["pending"]
    return brevo_digest(events, invitations, since=since, until=until, unmapped=unmapped, pending=pending)


def brevo_part(summary: PoshvipEventsSummary) -> list[str]:
    """The digest's Brevo lines; one line saying why when the store cannot be read."""
    stored = not summary.dry_run and bool(summary.processed or summary.unmapped)
    try:
        return digest_lines(read_brevo_digest(stored=stored))
    except Exception as exc:
        run_logger(__name__).warning(
            "Brevo events not counted in the digest: %s: %s", type(exc).__name__, exc
        )
        return [f"Brevo webhook events: not counted ({type(exc).__name__}; see the run's logs)"]


async def send_admin_digest(summary: PoshvipEventsSummary, unmapped: list[UnmappedItem]) -> bool:
    """Log the digest; email it when there is something to say, recipients are set and it is no dry run.

    Returns True when an email was sent.
    """
    logger = run_logger(__name__)
    text = "\n".join([digest_text(summary, unmapped), *brevo_part(summary)])
    logger.info("admin digest:\n%s", text)
    recipients = AdminNotificationSettings().recipients()
    if not (summary.processed or summary.unmapped) or not recipients or summary.dry_run:
        return False
    try:
        await email_admin_digest(
            recipients,
            f"Posh.VIP: {summary.new_purchases} purchases, {summary.refunds} refunds",
            text,
            idempotency_key=f"poshvip-events-{flow_run_key()}",
        )
    except Exception as exc:
        logger.warning("admin digest not emailed: %s: %s", type(exc).__name__, exc)
        return False
    return True
