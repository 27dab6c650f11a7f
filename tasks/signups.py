"""Tasks of the sign-up queue: choose bookers, queue them, record decisions.

Each task is one unit of I/O against the database. Invitations are :mod:`tasks.invitations`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from signups.candidates import QueueSelection, select_for_queue
from store import signups as repo
from store.checkpoints import covers
from store.db import session_scope
from store.interactions import load_interactions
from store.platform_users import PlatformUsersSettings
from tasks.platform_users import read_configured_platform_users

log = logging.getLogger(__name__)

#: A queue decision: ``approved`` or ``rejected``.
Decision = repo.Decision
#: The outcome of recording decisions (decided, not pending, unknown emails).
DecisionResult = repo.DecisionResult


def bookings_stored_for(date_from: date, date_to: date) -> bool:
    """Whether a complete audience-sync window of EasyAppointments covers ``[date_from, date_to]``."""
    with session_scope() as session:
        return covers(session, "easyappointments", date_from, date_to)


# --- choosing and queueing --------------------------------------------------------------


@task(name="select-bookers-for-queue", cache_policy=NO_CACHE)
def select_bookers_for_queue(date_from: date, date_to: date) -> QueueSelection:
    """The window's EasyAppointments bookers minus platform users, queued and invited people."""
    users = read_configured_platform_users(PlatformUsersSettings())
    with session_scope() as session:
        interactions = load_interactions(
            session, sources=["easyappointments"], occurred_from=date_from, occurred_to=date_to
        )
        exclusions = {
            "on_platform": set(users["email"].dropna().tolist()),
            "queued": repo.queued_emails(session),
            "invited": repo.invited_emails(session),
        }
    selection = select_for_queue(interactions, exclusions)
    log.info("bookers %s..%s: %s", date_from, date_to, selection.counts)
    return selection


@task(name="enqueue-signups", cache_policy=NO_CACHE)
def enqueue_signups(
    candidates: pd.DataFrame,
    *,
    status: str = "pending",
    decided_by: str | None = None,
    note: str | None = None,
) -> list[str]:
    """Insert candidates into the queue (already-queued emails are skipped); returns emails inserted."""
    with session_scope() as session:
        inserted = repo.enqueue_signups(session, candidates, status=status, decided_by=decided_by, note=note)
    log.info("queued %d people as %s", len(inserted), status)
    return inserted


@task(name="pending-signups", cache_policy=NO_CACHE)
def pending_signups(limit: int | None = None) -> list[dict[str, Any]]:
    """The pending queue entries as plain dicts (email, name, phone, bookings, services)."""
    with session_scope() as session:
        entries = repo.list_signups(session, status="pending", limit=limit)
        return [
            {
                "email": e.email,
                "first_name": e.first_name,
                "last_name": e.last_name,
                "phone": e.phone,
                "total_bookings": e.total_bookings,
                "services_used": e.services_used,
            }
            for e in entries
        ]


@task(name="record-signup-decisions", cache_policy=NO_CACHE)
def record_signup_decisions(
    *,
    emails: Sequence[str] | None,
    decision: Decision,
    decided_by: str,
    note: str | None,
) -> DecisionResult:
    """Approve or reject pending entries (``emails=None``: all pending), recording who and why."""
    with session_scope() as session:
        result = repo.decide_signups(
            session, emails=emails, decision=decision, decided_by=decided_by, note=note
        )
    log.info(
        "%s %d people (%d not pending, %d unknown)",
        decision,
        len(result.decided),
        len(result.not_pending),
        len(result.unknown),
    )
    return result
