"""Applying stored Brevo webhook deliveries: opt-outs in the store, invitation delivery states."""

from __future__ import annotations

from prefect import task
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from connectors.brevo.webhook_events import DELIVERY_STATUSES, OPT_OUT_KINDS, BrevoEvent, parse_brevo_events
from store.brevo_events import mark_invitation_delivery, record_opt_out
from store.db import session_scope
from store.webhook_events import PROCESSED, UNMAPPED, EventOutcome, record_outcomes, select_events

PROVIDER = "brevo"


#: Unmapped deliveries named one by one in the summary's notes (the rest are counted).
NOTED_UNMAPPED = 20


class KindCounts(BaseModel):
    """One event kind in a run: received, applied (something changed), skipped (why -> how many)."""

    received: int = 0
    applied: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)


class BrevoEventsSummary(BaseModel):
    """What one ``brevo-events`` run applied."""

    deliveries: int = 0
    unmapped: int = 0
    events: dict[str, int] = Field(default_factory=dict)
    opted_out: int = 0
    invitations: dict[str, int] = Field(default_factory=dict)
    #: Per event kind: received, applied, skipped with why.
    kinds: dict[str, KindCounts] = Field(default_factory=dict)
    #: New opt-outs per event kind (the consent changes of the run).
    opt_outs: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)

    def render(self) -> str:
        """A few lines for a terminal and the digest."""
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.events.items())) or "none"
        marked = ", ".join(f"{k} {v}" for k, v in sorted(self.invitations.items())) or "none"
        return "\n".join(
            [
                f"Brevo deliveries: {self.deliveries} ({self.unmapped} unmapped); events: {kinds}",
                f"new opt-outs: {self.opted_out}; invitations marked: {marked}",
            ]
        )

    def count(self, event: BrevoEvent, changes: list[str], skipped: str | None) -> None:
        """Count one event: what it changed (``opt-out``, ``invitation <status>``) or why it changed nothing."""
        self.events[event.kind] = self.events.get(event.kind, 0) + 1
        counts = self.kinds.setdefault(event.kind, KindCounts())
        counts.received += 1
        if changes:
            counts.applied += 1
        elif skipped:
            counts.skipped[skipped] = counts.skipped.get(skipped, 0) + 1
        if "opt-out" in changes:
            self.opted_out += 1
            self.opt_outs[event.kind] = self.opt_outs.get(event.kind, 0) + 1
        for change in changes:
            if change.startswith("invitation "):
                status = change.removeprefix("invitation ")
                self.invitations[status] = self.invitations.get(status, 0) + 1

    def note_unmapped(self, delivery_id: int, reason: str) -> None:
        """Count a delivery that is not Brevo's shape; the first ones are named in the notes."""
        self.unmapped += 1
        if self.unmapped <= NOTED_UNMAPPED:
            self.notes.append(f"delivery #{delivery_id} unmapped: {reason}")
        elif self.unmapped == NOTED_UNMAPPED + 1:
            self.notes.append("more unmapped deliveries: see `webhook_events` with status unmapped")


def _apply_one(session: Session, event: BrevoEvent) -> tuple[list[str], str | None]:
    """Apply one event: what changed (``opt-out``, ``invitation <status>``), or why nothing did."""
    changes: list[str] = []
    why: list[str] = []
    if event.kind in OPT_OUT_KINDS:
        if record_opt_out(session, email=event.email, kind=event.kind, event=event.name):
            changes.append("opt-out")
        else:
            why.append("already opted out")
    status = DELIVERY_STATUSES.get(event.kind)
    if status and event.message_id:
        reason = event.reason or event.name
        if mark_invitation_delivery(session, message_id=event.message_id, status=status, reason=reason):
            changes.append(f"invitation {status}")
        else:
            why.append("no invitation was sent as this message")
    elif status and event.kind not in OPT_OUT_KINDS:
        why.append("not about an invitation email (no message id)")
    if not status and event.kind not in OPT_OUT_KINDS:
        why.append("nothing to apply for this kind")
    return changes, "; ".join(why) or None


def _apply(events: list[BrevoEvent], summary: BrevoEventsSummary) -> None:
    with session_scope() as session:
        for event in events:
            summary.count(event, *_apply_one(session, event))


@task(name="apply-brevo-events")
def apply_brevo_events(limit: int | None = None) -> BrevoEventsSummary:
    """Apply every pending stored Brevo delivery (oldest first); each ends ``processed`` or ``unmapped``."""
    summary = BrevoEventsSummary()
    with session_scope() as session:
        stored = select_events(session, provider=PROVIDER, limit=limit)
    outcomes: list[EventOutcome] = []
    for delivery in stored:
        summary.deliveries += 1
        try:
            events = parse_brevo_events(delivery.body)
        except ValueError as exc:
            summary.note_unmapped(delivery.id, str(exc))
            outcomes.append(EventOutcome(id=delivery.id, status=UNMAPPED, error=str(exc)[:2000]))
            continue
        _apply(events, summary)
        outcomes.append(EventOutcome(id=delivery.id, status=PROCESSED, event_type=events[0].kind))
    with session_scope() as session:
        record_outcomes(session, outcomes=outcomes)
    return summary
