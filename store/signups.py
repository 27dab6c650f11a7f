"""Repository functions for the pending sign-up queue and platform invitations.

Queue entries (``pending_signup_queue``) move ``pending`` -> ``approved`` | ``rejected``, and
``approved`` -> ``invited`` once an invitation email went out. An email is queued at most
once, ever: rejected people are not queued again.

Invitations (``user_invitations``) move ``pending`` (stored, email not attempted) ->
``sending`` (attempt claimed) -> ``sent`` | ``failed``; later ``bounced``, ``accepted`` or
``expired``. Only the SHA-256 hash of a token is stored. The transitions that decide who
sends (:func:`claim_for_invitation`, :func:`rotate_token`, :func:`claim_send`) are conditional
updates, so concurrent passes never email one invitation twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import PendingSignup, UserInvitation
from store.upsert import insert_for

QUEUE_STATUSES: Final = ("pending", "approved", "rejected", "invited")
#: Invitation statuses that still count as "this person was invited" (no new invitation is made).
LIVE_INVITATION_STATUSES: Final = frozenset({"pending", "sending", "sent", "delivered", "accepted"})
Decision = Literal["approved", "rejected"]
_CHUNK = 500


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def queued_emails(session: Session) -> set[str]:
    """Every email ever queued, whatever its status."""
    return set(session.scalars(select(PendingSignup.email)).all())


def invited_emails(session: Session) -> set[str]:
    """Every email with an invitation that is not failed, bounced or expired."""
    stmt = select(UserInvitation.email).where(UserInvitation.status.in_(sorted(LIVE_INVITATION_STATUSES)))
    return set(session.scalars(stmt).all())


def enqueue_signups(
    session: Session,
    candidates: pd.DataFrame,
    *,
    status: str = "pending",
    decided_by: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Insert ``candidates`` (a ``signups.candidates`` frame) into the queue.

    Emails already queued are left untouched (insert-or-ignore, safe against a concurrent
    run). With ``status`` other than ``pending`` the decision is recorded at once
    (``decided_by``, ``note``). Returns the emails actually inserted.
    """
    if status not in QUEUE_STATUSES:
        raise ValueError(f"unknown queue status {status!r}")
    if candidates.empty:
        return []
    now = _now(now)
    before = queued_emails(session)
    clean = candidates.astype(object).where(candidates.notna(), None)
    rows: list[dict[str, Any]] = []
    for rec in clean.to_dict("records"):
        email = str(rec["email"])
        if email in before:
            continue
        rows.append(
            {
                "email": email,
                "first_name": rec.get("first_name"),
                "last_name": rec.get("last_name"),
                "phone": rec.get("phone"),
                "total_bookings": int(rec.get("total_bookings") or 0),
                "services_used": rec.get("services_used"),
                "source": "easyappointments",
                "status": status,
                "queued_at": now,
                "decided_at": now if status != "pending" else None,
                "decided_by": decided_by if status != "pending" else None,
                "decision_note": note if status != "pending" else None,
            }
        )
    if not rows:
        return []
    for start in range(0, len(rows), _CHUNK):
        stmt = insert_for(session, PendingSignup).values(rows[start : start + _CHUNK])
        session.execute(stmt.on_conflict_do_nothing(index_elements=["email"]))
    after = queued_emails(session)
    return sorted((after - before) & {r["email"] for r in rows})


def list_signups(
    session: Session, *, status: str | None = None, limit: int | None = None
) -> list[PendingSignup]:
    """Queue entries, oldest first, optionally only one status."""
    stmt = select(PendingSignup).order_by(PendingSignup.queued_at, PendingSignup.id)
    if status is not None:
        stmt = stmt.where(PendingSignup.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt).all())


@dataclass
class DecisionResult:
    """What a batch of decisions changed: emails decided, and those left alone and why."""

    decided: list[str] = field(default_factory=list)
    not_pending: dict[str, str] = field(default_factory=dict)  # email -> its current status
    unknown: list[str] = field(default_factory=list)


def decide_signups(
    session: Session,
    *,
    emails: Iterable[str] | None,
    decision: Decision,
    decided_by: str,
    note: str | None = None,
    now: datetime | None = None,
) -> DecisionResult:
    """Approve or reject pending entries; ``emails=None`` means every pending entry.

    Only ``pending`` entries change; each records who decided, when and why (``note``).
    Entries already decided are reported, not overwritten.
    """
    if decision not in ("approved", "rejected"):
        raise ValueError(f"decision must be 'approved' or 'rejected', got {decision!r}")
    if not decided_by:
        raise ValueError("decided_by is required: every decision records who made it")
    now = _now(now)
    result = DecisionResult()
    if emails is None:
        entries = list_signups(session, status="pending")
    else:
        wanted = sorted({e.strip().lower() for e in emails if e.strip()})
        entries = []
        for chunk in _chunks(wanted):
            entries.extend(session.scalars(select(PendingSignup).where(PendingSignup.email.in_(chunk))).all())
        found = {e.email for e in entries}
        result.unknown = [e for e in wanted if e not in found]
    for entry in entries:
        if entry.status != "pending":
            result.not_pending[entry.email] = entry.status
            continue
        entry.status = decision
        entry.decided_at = now
        entry.decided_by = decided_by
        entry.decision_note = note
        result.decided.append(entry.email)
    session.flush()
    result.decided.sort()
    return result


def mark_signups_invited(session: Session, emails: Iterable[str]) -> int:
    """Move approved entries to ``invited`` (their invitation email went out). Returns rows changed."""
    changed = 0
    for chunk in _chunks(sorted(set(emails))):
        res = session.execute(
            update(PendingSignup)
            .where(PendingSignup.email.in_(chunk), PendingSignup.status == "approved")
            .values(status="invited")
        )
        changed += int(getattr(res, "rowcount", 0) or 0)
    return changed


def claim_for_invitation(session: Session, email: str) -> bool:
    """Atomically move an ``approved`` entry to ``invited``; False when it is not approved (any more).

    The conditional update is the lock between concurrent invitation passes: only one of
    them can claim a person, so only one invitation (and one email) is made.
    """
    res = session.execute(
        update(PendingSignup)
        .where(PendingSignup.email == email, PendingSignup.status == "approved")
        .values(status="invited")
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(res, "rowcount", 0))


def release_claim(session: Session, email: str) -> None:
    """Put an ``invited`` entry back to ``approved`` (its email failed; a later pass retries)."""
    session.execute(
        update(PendingSignup)
        .where(PendingSignup.email == email, PendingSignup.status == "invited")
        .values(status="approved")
        .execution_options(synchronize_session=False)
    )


def entries_to_invite(session: Session, *, emails: Iterable[str] | None = None) -> list[PendingSignup]:
    """Approved entries, plus invited ones whose invitation was stored but never attempted (a crash)."""
    wanted = None if emails is None else set(emails)
    out = []
    for entry in list_signups(session):
        if wanted is not None and entry.email not in wanted:
            continue
        if entry.status == "approved":
            out.append(entry)
        elif entry.status == "invited":
            current = live_invitation(session, entry.email)
            if current is not None and current.status == "pending":
                out.append(entry)
    return out


# --- invitations -------------------------------------------------------------------------


def create_invitation(
    session: Session,
    *,
    email: str,
    token_hash: str,
    expires_at: datetime,
    invited_by: str | None,
    now: datetime | None = None,
) -> UserInvitation:
    """Store a new ``pending`` invitation (its email not yet attempted)."""
    invitation = UserInvitation(
        email=email,
        token_hash=token_hash,
        status="pending",
        created_at=_now(now),
        expires_at=expires_at,
        invited_by=invited_by,
    )
    session.add(invitation)
    session.flush()
    return invitation


def live_invitation(session: Session, email: str) -> UserInvitation | None:
    """The newest invitation for ``email`` that still counts (pending, sending, sent or accepted)."""
    stmt = (
        select(UserInvitation)
        .where(UserInvitation.email == email, UserInvitation.status.in_(sorted(LIVE_INVITATION_STATUSES)))
        .order_by(UserInvitation.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def invitations(
    session: Session, *, status: str | None = None, emails: Iterable[str] | None = None
) -> list[UserInvitation]:
    """Invitations, oldest first, optionally filtered by status and emails."""
    stmt = select(UserInvitation).order_by(UserInvitation.id)
    if status is not None:
        stmt = stmt.where(UserInvitation.status == status)
    if emails is not None:
        stmt = stmt.where(UserInvitation.email.in_(sorted(set(emails))))
    return list(session.scalars(stmt).all())


def rotate_token(session: Session, invitation: UserInvitation, token_hash: str) -> bool:
    """Replace a never-attempted invitation's token hash (its old raw token never left its process).

    Conditional on the invitation still being ``pending``; False when another pass got there first.
    """
    res = session.execute(
        update(UserInvitation)
        .where(UserInvitation.id == invitation.id, UserInvitation.status == "pending")
        .values(token_hash=token_hash)
        .execution_options(synchronize_session=False)
    )
    session.expire(invitation)
    return bool(getattr(res, "rowcount", 0))


def claim_send(session: Session, *, invitation_id: int, token_hash: str) -> bool:
    """Mark an invitation ``sending`` if it is still ``pending`` with this token; commit before sending.

    Exactly one caller wins: a concurrent pass that re-armed the token (or already claimed
    the send) makes this return False, so no invitation is ever emailed twice.
    """
    res = session.execute(
        update(UserInvitation)
        .where(
            UserInvitation.id == invitation_id,
            UserInvitation.status == "pending",
            UserInvitation.token_hash == token_hash,
        )
        .values(status="sending")
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(res, "rowcount", 0))


def mark_sent(
    session: Session, invitation: UserInvitation, *, message_id: str | None, now: datetime | None = None
) -> None:
    """Record that the provider accepted the email."""
    invitation.status = "sent"
    invitation.sent_at = _now(now)
    invitation.message_id = message_id
    invitation.error = None
    session.flush()


def mark_failed(session: Session, invitation: UserInvitation, *, error: str) -> None:
    """Record that the provider refused the email (the person may be invited again later)."""
    invitation.status = "failed"
    invitation.error = error[:2000]
    session.flush()


def mark_bounced(session: Session, *, message_id: str, reason: str) -> UserInvitation | None:
    """Record a bounce reported for ``message_id``; returns the invitation, or None when unknown."""
    invitation = session.scalars(
        select(UserInvitation).where(UserInvitation.message_id == message_id)
    ).first()
    if invitation is None:
        return None
    invitation.status = "bounced"
    invitation.error = f"bounced: {reason}"[:2000]
    session.flush()
    return invitation


def invitation_by_token_hash(session: Session, token_hash: str) -> UserInvitation | None:
    """The invitation whose token hashes to ``token_hash``, if any (only hashes are stored)."""
    return session.scalars(select(UserInvitation).where(UserInvitation.token_hash == token_hash)).first()


def mark_expired(session: Session, invitation: UserInvitation) -> None:
    """Record that an unused invitation's token was presented after its expiry."""
    if invitation.status != "expired" and invitation.used_at is None:
        invitation.status = "expired"
        session.flush()


def accept_invitation(session: Session, invitation: UserInvitation, *, now: datetime) -> bool:
    """Mark the invitation ``accepted`` (used at ``now``), once; False when it was already used.

    The update is conditional on the invitation still being unused, so two concurrent
    redemptions of one token cannot both succeed.
    """
    res = session.execute(
        update(UserInvitation)
        .where(UserInvitation.id == invitation.id, UserInvitation.used_at.is_(None))
        .values(status="accepted", used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(invitation)
    return bool(getattr(res, "rowcount", 0))


def expire_invitations(session: Session, *, now: datetime | None = None) -> int:
    """Mark unaccepted invitations past their expiry as ``expired``. Returns how many."""
    now = _now(now)
    res = session.execute(
        update(UserInvitation)
        .where(
            UserInvitation.expires_at <= now,
            UserInvitation.used_at.is_(None),
            UserInvitation.status.in_(["pending", "sending", "sent"]),
        )
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def signup_statuses(session: Session) -> pd.DataFrame:
    """``[email, signup_status]``: the sign-up queue's status per person, ``joined`` once an invitation was used."""
    queue = dict(session.execute(select(PendingSignup.email, PendingSignup.status)).tuples().all())
    joined = set(session.scalars(select(UserInvitation.email).where(UserInvitation.used_at.is_not(None))))
    statuses = {**queue, **dict.fromkeys(joined, "joined")}
    return pd.DataFrame(
        {
            "email": pd.array(list(statuses), dtype="string"),
            "signup_status": pd.array(list(statuses.values()), dtype="string"),
        }
    )
