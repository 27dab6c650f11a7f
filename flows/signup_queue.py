"""Flows ``add-bookers-to-queue`` and ``review-signup-queue``: the platform sign-up queue.

``add-bookers-to-queue`` puts a window's appointment bookers (minus platform users and
people already queued or invited) into the pending queue, or invites them at once.
``review-signup-queue`` pauses in the Prefect UI with a form listing the pending people;
an admin approves or rejects each (or all) with a note; the run resumes, records every
decision (who, when, why), invites the approved and syncs them to the master list.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.flow_runs import apause_flow_run
from pydantic import BaseModel, Field

from tasks.booking_history import refresh_bookings
from tasks.failures import explains_failures
from tasks.invitations import InvitationReport, open_sender, send_invitations
from tasks.run_locks import IfBusy
from tasks.secrets import resolve_secret_blocks
from tasks.signup_review import ReviewSummary, apply_review, review_form
from tasks.signups import (
    bookings_stored_for,
    enqueue_signups,
    pending_signups,
    select_bookers_for_queue,
)
from tasks.sources import configured_sources

log = logging.getLogger(__name__)
DEFAULT_WINDOW_DAYS = 30
AUTO_INVITE_ACTOR = "add-bookers-to-queue (auto_invite)"


async def sync_to_master_list(
    emails: list[str], *, dry_run: bool = False, if_busy: IfBusy = "wait"
) -> dict[str, Any]:
    """Sync these people to the Brevo master list through ``audience-sync`` (diffed, consent-safe).

    Runs ``audience-sync`` as a subflow with no extraction (``sources=[]``), limited to
    ``emails``; it takes the Brevo lists' lock (:data:`tasks.run_locks.BREVO_LISTS_LOCK`), so it
    waits for another run pushing to Brevo or, with ``if_busy="skip"``, is skipped with the reason.
    A failure is reported, not raised: the invitations already went out, and the next
    audience-sync run picks these people up anyway.
    """
    if not emails:
        return {}
    from flows.audience_sync import audience_sync

    try:
        summary = await audience_sync(
            sources=[], emails=sorted(set(emails)), dry_run=dry_run, if_busy=if_busy
        )
    except Exception as exc:
        log.warning("master-list sync of %d people failed: %s: %s", len(emails), type(exc).__name__, exc)
        return {"status": "failed", "people": len(emails), "error": f"{type(exc).__name__}: {exc}"}
    if summary.skipped:
        return {"status": "skipped", "people": len(emails), "reason": summary.skipped}
    return {"status": "dry_run" if dry_run else "synced", "people": len(emails), **summary.brevo.model_dump()}


# --- add-bookers-to-queue ---------------------------------------------------------------


class QueueRunSummary(BaseModel):
    """What ``add-bookers-to-queue`` did."""

    date_from: date
    date_to: date
    auto_invite: bool
    bookers: int
    excluded: dict[str, int]
    queued: int
    invitations: dict[str, int] = Field(default_factory=dict)
    master_list: dict[str, Any] = Field(default_factory=dict)
    #: Where the bookers were read: ``store`` (a complete audience-sync covers the window) or
    #: ``easyappointments`` (read first, as the store did not cover the window).
    bookers_from: Literal["store", "easyappointments"] = "store"
    #: Why the answer may be short: the input that is missing and the command that fills it.
    note: str | None = None

    def render(self) -> str:
        """A few lines for a terminal."""
        excluded = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.excluded.items())
        action = "approved and invited" if self.auto_invite else "queued"
        origin = {
            "store": "the store (synced by audience-sync)",
            "easyappointments": "EasyAppointments (the store did not cover this window)",
        }[self.bookers_from]
        lines = [
            f"Bookers {self.date_from} .. {self.date_to}: {self.bookers} (excluded: {excluded})",
            f"bookers read from {origin}",
            *([f"note: {self.note}"] if self.note else []),
            f"{action}: {self.queued}",
        ]
        if self.invitations:
            lines.append("invitations: " + ", ".join(f"{k} {v}" for k, v in sorted(self.invitations.items())))
        return "\n".join(lines)


async def read_bookers_if_missing(
    date_from: date, date_to: date
) -> tuple[Literal["store", "easyappointments"], str | None]:
    """Make sure the window's bookings are stored: read them from EasyAppointments unless a complete
    audience-sync window covers them (as ``booking-insights`` does with ``refresh``).

    Returns where the bookers come from and, when they could not be read, a one-line note saying
    what is missing and which command fills it. No checkpoint is recorded: audience-sync's own
    first run still reads its full history.
    """
    if bookings_stored_for(date_from, date_to):
        return "store", None
    if "easyappointments" not in configured_sources():
        return "store", (
            f"no complete EasyAppointments sync covers {date_from} .. {date_to} and EASYAPPOINTMENTS_URL "
            "is not set: only stored bookings were read; set it (and EASYAPPOINTMENTS_API_TOKEN) or run "
            "`engarde run audience-sync` for that window"
        )
    await refresh_bookings(date_from, date_to)
    return "easyappointments", None


def bookers_window(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The bookers' window ``[date_from, date_to]``: by default the last 30 days up to today (UTC), today included."""
    date_to = date_to or datetime.now(UTC).date()
    date_from = date_from or date_to - timedelta(days=DEFAULT_WINDOW_DAYS)
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    return date_from, date_to


@flow(name="add-bookers-to-queue", log_prints=False)
@explains_failures
async def add_bookers_to_queue(
    date_from: date | None = None, date_to: date | None = None, auto_invite: bool = False
) -> QueueRunSummary:
    """Queue the window's bookers for platform sign-up; with ``auto_invite`` invite them at once."""
    resolve_secret_blocks()
    logger = get_run_logger()
    date_from, date_to = bookers_window(date_from, date_to)
    bookers_from, note = await read_bookers_if_missing(date_from, date_to)
    selection = select_bookers_for_queue(date_from, date_to)
    candidates = selection.candidates
    report = InvitationReport()
    if auto_invite:
        # Open Brevo first: a configuration error then fails the run before anyone is approved.
        async with open_sender() as sender:
            inserted = enqueue_signups(
                candidates, status="approved", decided_by=AUTO_INVITE_ACTOR, note="auto_invite=true"
            )
            # Every approved person without an invitation, so earlier failed sends are retried too.
            report = await send_invitations(sender, invited_by=AUTO_INVITE_ACTOR)
    else:
        inserted = enqueue_signups(candidates)
    excluded = {k: v for k, v in selection.counts.items() if k != "candidates"}
    summary = QueueRunSummary(
        date_from=date_from,
        date_to=date_to,
        auto_invite=auto_invite,
        bookers=len(candidates) + sum(excluded.values()),
        excluded=excluded,
        queued=len(inserted),
        invitations=report.counts,
        bookers_from=bookers_from,
        note=note,
    )
    touched = sorted(set(inserted) | {o.email for o in report.outcomes}) if auto_invite else []
    summary.master_list = await sync_to_master_list(touched)
    logger.info("add-bookers-to-queue: %s", summary.model_dump(mode="json"))
    await acreate_markdown_artifact(
        key="signup-queue-run",
        markdown=_queue_markdown(summary),
        description="Bookers queued for platform sign-up",
    )
    return summary


def _queue_markdown(s: QueueRunSummary) -> str:
    lines = [
        f"# Bookers {s.date_from} .. {s.date_to}",
        "",
        "| | people |",
        "|---|---:|",
        f"| bookers in window | {s.bookers} |",
        *[f"| excluded: {k.replace('_', ' ')} | {v} |" for k, v in s.excluded.items()],
        f"| {'approved and invited' if s.auto_invite else 'added to the pending queue'} | {s.queued} |",
        "",
        f"Bookers read from: {s.bookers_from}.",
        *([f"**Note:** {s.note}"] if s.note else []),
    ]
    if s.invitations:
        lines += ["", "Invitations: " + ", ".join(f"{k} {v}" for k, v in sorted(s.invitations.items()))]
    return "\n".join(lines) + "\n"


# --- review-signup-queue ----------------------------------------------------------------


@flow(name="review-signup-queue", log_prints=False)
@explains_failures
async def review_signup_queue(
    limit: int = 200,
    timeout_seconds: int = 86_400,
    poll_interval_seconds: int = 10,
    send_invitations_now: bool = True,
) -> ReviewSummary:
    """Pause for an admin's decisions on up to ``limit`` pending people, then apply them.

    Approved people are invited (unless ``send_invitations_now`` is false; then the CLI or
    the next run sends them) and synced to the master list with their status.
    """
    resolve_secret_blocks()
    logger = get_run_logger()
    pending = pending_signups(limit=limit)
    if not pending:
        logger.info("the sign-up queue is empty: nothing to review")
        return ReviewSummary()
    review = await apause_flow_run(
        wait_for_input=review_form(pending), timeout=timeout_seconds, poll_interval=poll_interval_seconds
    )
    summary, decided = apply_review(review, pending)
    report = InvitationReport()
    if summary.approved and send_invitations_now:
        async with open_sender() as sender:
            # Every approved person without an invitation, so earlier failed sends are retried too.
            report = await send_invitations(sender, invited_by=review.reviewer)
        summary.invitations = report.counts
    touched = sorted(set(summary.approved) | {o.email for o in report.outcomes})
    summary.master_list = await sync_to_master_list(touched)
    await acreate_table_artifact(
        key="signup-review",
        table=[
            {"email": e, "decision": d, "note": n or "", "by": review.reviewer}
            for e, (d, n) in sorted(decided.items())
        ],
        description=f"Sign-up decisions by {review.reviewer}",
    )
    logger.info(
        "review by %s: %d approved, %d rejected, %d left pending; invitations %s",
        review.reviewer,
        len(summary.approved),
        len(summary.rejected),
        summary.left_pending,
        summary.invitations,
    )
    return summary
