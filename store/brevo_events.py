"""What Brevo's webhooks tell us: people who opted out, and how invitation emails were delivered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import BrevoOptOut, UserInvitation
from store.signups import mark_bounced


def record_opt_out(session: Session, *, email: str, kind: str, event: str) -> bool:
    """Remember that ``email`` opted out (the first reason is kept); True when it is new."""
    key = email.strip().lower()
    if session.get(BrevoOptOut, key) is not None:
        return False
    session.add(BrevoOptOut(email=key, kind=kind, event=event[:64], opted_out_at=datetime.now(UTC)))
    session.flush()
    return True


def opted_out_emails(session: Session, emails: Iterable[str] | None = None) -> set[str]:
    """Emails that opted out through a Brevo webhook (all, or those among ``emails``)."""
    stmt = select(BrevoOptOut.email)
    if emails is not None:
        stmt = stmt.where(BrevoOptOut.email.in_(sorted({e.strip().lower() for e in emails})))
    return set(session.scalars(stmt))


def mark_invitation_delivery(session: Session, *, message_id: str, status: str, reason: str) -> bool:
    """Set the invitation sent as ``message_id`` to ``delivered``, ``bounced`` or ``blocked``; False when unknown.

    A bounce goes through :func:`store.signups.mark_bounced`. A late ``delivered`` never
    overrides a bounce or block, nor an accepted invitation.
    """
    if status == "bounced":
        return mark_bounced(session, message_id=message_id, reason=reason) is not None
    invitation = session.scalars(
        select(UserInvitation).where(UserInvitation.message_id == message_id)
    ).first()
    if invitation is None:
        return False
    if status == "blocked":
        invitation.status, invitation.error = "blocked", f"blocked: {reason}"[:2000]
    elif invitation.status == "sent":
        invitation.status = "delivered"
    session.flush()
    return True
