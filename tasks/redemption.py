"""Redeeming an invitation token: the pure verdict (``signups.invitations``) on the stored invitation (``store``).

Order of steps, and why: the raw token is hashed first (only hashes are stored); the invitation
found by that hash is judged by :func:`signups.invitations.judge_token` (unknown, used, expired,
revoked or valid); an expired one is marked so; a valid one is accepted by a conditional update,
which is what makes a token single-use even when two redemptions race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from signups.invitations import TokenVerdict, hash_token, judge_token
from store.signups import accept_invitation, invitation_by_token_hash, mark_expired


@dataclass(frozen=True)
class Redemption:
    """The outcome of presenting a token: the verdict and, when found, the invitation's email."""

    verdict: TokenVerdict
    email: str | None = None


def redeem_invitation(session: Session, *, token: str, now: datetime | None = None) -> Redemption:
    """Accept an invitation by its raw token, once. Expired ones are marked ``expired``."""
    now = now or datetime.now(UTC)
    invitation = invitation_by_token_hash(session, hash_token(token))
    if invitation is None:
        return Redemption(TokenVerdict.UNKNOWN)
    verdict = judge_token(
        status=invitation.status, expires=invitation.expires_at, used_at=invitation.used_at, now=now
    )
    if verdict is TokenVerdict.EXPIRED:
        mark_expired(session, invitation)
    if verdict is not TokenVerdict.VALID:
        return Redemption(verdict, invitation.email)
    if not accept_invitation(session, invitation, now=now):
        return Redemption(TokenVerdict.USED, invitation.email)
    return Redemption(TokenVerdict.VALID, invitation.email)
