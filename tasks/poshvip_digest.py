"""The admin digest of a ``poshvip-events`` run, emailed with Brevo transactional email.

The digest is always logged; it is emailed when ``ADMIN_NOTIFICATION_EMAILS`` is set and the run
is not a dry run. A failed send is logged and does not fail the run (the events are already
stored and processed).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasks.poshvip import UnmappedItem
from tasks.poshvip_report import PoshvipEventsSummary, digest_text
from tasks.run_logger import run_logger


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


async def send_admin_digest(summary: PoshvipEventsSummary, unmapped: list[UnmappedItem]) -> bool:
    """Log the digest; email it when there is something to say, recipients are set and it is no dry run.

    Returns True when an email was sent.
    """
    logger = run_logger(__name__)
    text = digest_text(summary, unmapped)
    logger.info("admin digest:\n%s", text)
    recipients = PoshvipFlowSettings().recipients()
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
