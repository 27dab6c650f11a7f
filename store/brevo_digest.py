"""What the admin digest reads about Brevo's webhooks: its period, the deliveries applied in it, invitations.

The digest is written by a ``poshvip-events`` run that processed something (see
:mod:`tasks.poshvip_digest`), and such a run marks its deliveries with one ``processed_at``.
So the previous digest's time is the latest ``processed_at`` of a Posh.VIP delivery before this
run's, and consecutive digests cover consecutive periods ``(since, until]``: a Brevo delivery
applied by the ``brevo-events`` flow is counted in exactly one digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import UserInvitation, WebhookEvent
from store.webhook_events import PROCESSED, UNMAPPED


def _latest_processed(session: Session, provider: str, before: datetime | None = None) -> datetime | None:
    stmt = select(func.max(WebhookEvent.processed_at)).where(
        WebhookEvent.provider == provider, WebhookEvent.processed_at.is_not(None)
    )
    if before is not None:
        stmt = stmt.where(WebhookEvent.processed_at < before)
    latest = session.scalar(stmt)
    return latest.replace(tzinfo=UTC) if latest is not None and latest.tzinfo is None else latest


def digest_period(
    session: Session, *, provider: str, stored: bool, now: datetime | None = None
) -> tuple[datetime | None, datetime]:
    """``(since, until)`` of the digest being written (``since`` None: no digest before).

    ``stored``: this run marked its ``provider`` deliveries (then they end the period);
    otherwise the period runs from the last run that did until ``now``.
    """
    now = now or datetime.now(UTC)
    latest = _latest_processed(session, provider)
    if not stored or latest is None:
        return latest, now
    return _latest_processed(session, provider, before=latest), latest


def applied_deliveries(
    session: Session, *, provider: str, since: datetime | None, until: datetime
) -> list[tuple[str, bytes]]:
    """``(status, body)`` of the ``provider`` deliveries processed or unmapped in ``(since, until]``."""
    stmt = select(WebhookEvent.status, WebhookEvent.body).where(
        WebhookEvent.provider == provider,
        WebhookEvent.status.in_([PROCESSED, UNMAPPED]),
        WebhookEvent.processed_at <= until,
    )
    if since is not None:
        stmt = stmt.where(WebhookEvent.processed_at > since)
    return [(str(status), bytes(body)) for status, body in session.execute(stmt.order_by(WebhookEvent.id))]


def invitation_message_ids(session: Session, message_ids: Iterable[str]) -> set[str]:
    """Those of ``message_ids`` that were invitation emails."""
    wanted = sorted(set(message_ids))
    if not wanted:
        return set()
    stmt = select(UserInvitation.message_id).where(UserInvitation.message_id.in_(wanted))
    return {str(m) for m in session.scalars(stmt)}
