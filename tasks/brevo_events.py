"""Applying stored Brevo webhook deliveries: opt-outs in the store, invitation delivery states."""

from __future__ import annotations

from collections import Counter

from prefect import task
from pydantic import BaseModel, Field

from connectors.brevo.webhook_events import DELIVERY_STATUSES, OPT_OUT_KINDS, BrevoEvent, parse_brevo_events
from store.brevo_events import mark_invitation_delivery, record_opt_out
from store.db import session_scope
from store.webhook_events import PROCESSED, UNMAPPED, EventOutcome, record_outcomes, select_events

PROVIDER = "brevo"


class BrevoEventsSummary(BaseModel):
    """What one ``brevo-events`` run applied."""

    deliveries: int = 0
    unmapped: int = 0
    events: dict[str, int] = Field(default_factory=dict)
    opted_out: int = 0
    invitations: dict[str, int] = Field(default_factory=dict)

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


def _apply(events: list[BrevoEvent], summary: BrevoEventsSummary, invitations: Counter[str]) -> None:
    with session_scope() as session:
        for event in events:
            summary.events[event.kind] = summary.events.get(event.kind, 0) + 1
            if event.kind in OPT_OUT_KINDS and record_opt_out(
                session, email=event.email, kind=event.kind, event=event.name
            ):
                summary.opted_out += 1
            status = DELIVERY_STATUSES.get(event.kind)
            if (
                event.message_id
                and status
                and mark_invitation_delivery(
                    session, message_id=event.message_id, status=status, reason=event.reason or event.name
                )
            ):
                invitations[status] += 1


@task(name="apply-brevo-events")
def apply_brevo_events(limit: int | None = None) -> BrevoEventsSummary:
    """Apply every pending stored Brevo delivery (oldest first); each ends ``processed`` or ``unmapped``."""
    summary = BrevoEventsSummary()
    invitations: Counter[str] = Counter()
    with session_scope() as session:
        stored = select_events(session, provider=PROVIDER, limit=limit)
    outcomes: list[EventOutcome] = []
    for delivery in stored:
        summary.deliveries += 1
        try:
            events = parse_brevo_events(delivery.body)
        except ValueError as exc:
            summary.unmapped += 1
            outcomes.append(EventOutcome(id=delivery.id, status=UNMAPPED, error=str(exc)[:2000]))
            continue
        _apply(events, summary, invitations)
        outcomes.append(EventOutcome(id=delivery.id, status=PROCESSED, event_type=events[0].kind))
    with session_scope() as session:
        record_outcomes(session, outcomes=outcomes)
    summary.invitations = dict(invitations)
    return summary
