"""The invitation protocol of the sign-up queue: at most one email per invitation, ever.

An invitation is stored (``pending``, with the hash of its one-time token) before its email is
sent; the send is claimed (``sending``) and committed before the provider is called, so a crash
at any point never sends twice (:func:`prepare_invitation`, :func:`send_prepared`). These are
plain functions so the CLI can run them without Prefect; :func:`send_invitations` is the task.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from signups.invitations import (
    build_link,
    expires_at,
    hash_token,
    new_token,
    render_message,
    template_params,
)
from store import signups as repo
from store.db import session_scope
from store.models import UserInvitation

log = logging.getLogger(__name__)


class InvitationSettings(BaseSettings):
    """How invitations look and how long they live (``SIGNUP_URL``, ``INVITATION_TTL_DAYS``, ...)."""

    model_config = SettingsConfigDict(extra="ignore")

    signup_url: str = Field(
        default="http://127.0.0.1:3000/signup",
        description="sign-up page the invitation links to (a `token` query parameter is added)",
    )
    invitation_ttl_days: int = Field(default=14, gt=0, description="days an invitation stays valid")
    brevo_invitation_template_id: int | None = Field(
        default=None, description="Brevo template id for invitation emails; unset: the built-in message"
    )


class SentEmailLike(Protocol):
    """What a provider returns for an accepted email."""

    @property
    def message_id(self) -> str | None: ...


class TransactionalEmailSender(Protocol):
    """Sends one transactional email (``connectors.brevo.BrevoClient`` satisfies this)."""

    async def send_transactional_email(
        self,
        to: str | Sequence[str],
        subject: str | None = None,
        *,
        html: str | None = None,
        text: str | None = None,
        template_id: int | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> SentEmailLike: ...


@asynccontextmanager
async def open_sender() -> AsyncIterator[TransactionalEmailSender]:
    """The Brevo client configured from the environment (``BREVO_*``), as an email sender."""
    from connectors.brevo import BrevoClient, BrevoSettings

    async with BrevoClient(BrevoSettings()) as client:
        yield client


# --- invitations -------------------------------------------------------------------------


@dataclass
class InvitationOutcome:
    """What happened to one person's invitation in this run (never carries the token)."""

    email: str
    status: str  # sent | failed | already_sent | unconfirmed | in_progress | not_approved
    invitation_id: int | None = None
    message_id: str | None = None
    error: str | None = None


@dataclass
class InvitationReport:
    """Outcomes of one invitation pass, by email."""

    outcomes: list[InvitationOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many outcomes have ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def counts(self) -> dict[str, int]:
        """Outcome counts by status."""
        out: dict[str, int] = {}
        for o in self.outcomes:
            out[o.status] = out.get(o.status, 0) + 1
        return out


@dataclass(frozen=True)
class PreparedInvitation:
    """An invitation ready to send: its id, recipient and the one copy of its raw token."""

    invitation_id: int
    email: str
    first_name: str | None
    token: str
    expires: datetime


def prepare_invitation(
    *, email: str, first_name: str | None, invited_by: str, settings: InvitationSettings
) -> PreparedInvitation | InvitationOutcome:
    """Step 1: store a ``pending`` invitation (or re-arm an unsent one with a fresh token).

    An invitation already sending or sent gives an outcome instead: it is never sent twice.
    """
    now = datetime.now(UTC)
    token = new_token()
    with session_scope() as session:
        current = repo.live_invitation(session, email)
        if current is not None and current.status == "sending":
            return InvitationOutcome(email, "unconfirmed", current.id, current.message_id, current.error)
        if current is not None and current.status in ("sent", "accepted"):
            return InvitationOutcome(email, "already_sent", current.id, current.message_id)
        if current is not None:  # stored earlier, never attempted: its raw token is gone, give it a new one
            if not repo.rotate_token(session, current, hash_token(token)):
                return InvitationOutcome(email, "in_progress", current.id)
            invitation = current
        elif not repo.claim_for_invitation(session, email):
            return InvitationOutcome(email, "not_approved")  # another pass claimed them, or not approved
        else:
            invitation = repo.create_invitation(
                session,
                email=email,
                token_hash=hash_token(token),
                expires_at=expires_at(now, settings.invitation_ttl_days),
                invited_by=invited_by,
                now=now,
            )
        return PreparedInvitation(invitation.id, email, first_name, token, invitation.expires_at)


async def send_prepared(
    sender: TransactionalEmailSender,
    prepared: PreparedInvitation,
    settings: InvitationSettings,
) -> InvitationOutcome:
    """Step 2: claim the send (``pending`` -> ``sending`` with this token, committed), send, record.

    Only one pass can claim an invitation. A crash after the claim leaves it ``sending``: a
    rerun reports it as unconfirmed rather than risk a second email; once it expires the
    person (still approved) is invited afresh. A refused send is recorded as ``failed`` and the
    queue entry goes back to ``approved`` for a later pass.
    """
    with session_scope() as session:
        claimed = repo.claim_send(
            session, invitation_id=prepared.invitation_id, token_hash=hash_token(prepared.token)
        )
    if not claimed:  # another pass re-armed or is sending this invitation: it sends, not us
        return InvitationOutcome(prepared.email, "in_progress", prepared.invitation_id)
    link = build_link(settings.signup_url, prepared.token)
    key = f"invitation-{prepared.invitation_id}"
    try:
        if settings.brevo_invitation_template_id is not None:
            sent = await sender.send_transactional_email(
                prepared.email,
                template_id=settings.brevo_invitation_template_id,
                params=template_params(first_name=prepared.first_name, link=link, expires=prepared.expires),
                tags=["invitation"],
                idempotency_key=key,
            )
        else:
            message = render_message(first_name=prepared.first_name, link=link, expires=prepared.expires)
            sent = await sender.send_transactional_email(
                prepared.email,
                message.subject,
                html=message.html,
                text=message.text,
                tags=["invitation"],
                idempotency_key=key,
            )
    except Exception as exc:  # the provider refused or failed: record why, the person can be re-invited
        error = f"{type(exc).__name__}: {exc}"
        with session_scope() as session:
            invitation = session.get(UserInvitation, prepared.invitation_id)
            if invitation is not None:
                repo.mark_failed(session, invitation, error=error)
            repo.release_claim(session, prepared.email)
        log.warning("invitation %s to %s failed: %s", prepared.invitation_id, prepared.email, error)
        return InvitationOutcome(prepared.email, "failed", prepared.invitation_id, error=error)
    with session_scope() as session:
        invitation = session.get(UserInvitation, prepared.invitation_id)
        if invitation is not None:
            repo.mark_sent(session, invitation, message_id=sent.message_id)
    return InvitationOutcome(prepared.email, "sent", prepared.invitation_id, sent.message_id)


async def deliver_invitation(
    sender: TransactionalEmailSender,
    *,
    email: str,
    first_name: str | None,
    invited_by: str,
    settings: InvitationSettings,
) -> InvitationOutcome:
    """Invite one person: store the invitation, then send its email, at most once per invitation."""
    prepared = prepare_invitation(
        email=email, first_name=first_name, invited_by=invited_by, settings=settings
    )
    if isinstance(prepared, InvitationOutcome):
        if prepared.status == "already_sent":
            with session_scope() as session:
                repo.mark_signups_invited(session, [email])
        return prepared
    return await send_prepared(sender, prepared, settings)


async def invite_approved(
    sender: TransactionalEmailSender,
    *,
    invited_by: str,
    settings: InvitationSettings | None = None,
    emails: Sequence[str] | None = None,
) -> InvitationReport:
    """Send invitations to every ``approved`` queue entry (or only ``emails`` among them).

    Entries whose invitation was stored but never attempted (a crash in between) are
    picked up again and get exactly one email.

    Invitations past their expiry are marked ``expired`` first, so a person whose email was
    never confirmed (``sending``) is invited afresh once that invitation has lapsed.
    """
    settings = settings or InvitationSettings()
    with session_scope() as session:
        repo.expire_invitations(session)
        people = [(e.email, e.first_name) for e in repo.entries_to_invite(session, emails=emails)]
    report = InvitationReport()
    for email, first_name in people:
        report.outcomes.append(
            await deliver_invitation(
                sender, email=email, first_name=first_name, invited_by=invited_by, settings=settings
            )
        )
    # Attempts whose outcome was never recorded (a crash mid-send): reported, never resent.
    done = {o.email for o in report.outcomes}
    with session_scope() as session:
        for inv in repo.invitations(session, status="sending", emails=emails):
            if inv.email not in done:
                report.outcomes.append(InvitationOutcome(inv.email, "unconfirmed", inv.id, inv.message_id))
    return report


@task(name="send-invitations", cache_policy=NO_CACHE)
async def send_invitations(
    sender: TransactionalEmailSender,
    *,
    invited_by: str,
    emails: Sequence[str] | None = None,
) -> InvitationReport:
    """Invite the approved people (all, or ``emails``); one email per invitation, ever."""
    report = await invite_approved(sender, invited_by=invited_by, emails=emails)
    log.info("invitations: %s", report.counts)
    return report
