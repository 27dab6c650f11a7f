"""One event's sales from its attendees: tickets sold, refunded, cancelled, checked in; gross, refunds, net.

Pure (no I/O); :meth:`connectors.eventbrite.EventbriteClient.get_event_summary` reads the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from connectors.eventbrite.models import Attendee, Event, EventSummary, TicketClassSummary


def summarize_event(event: Event, attendees: Sequence[Attendee], *, orders: int = 0) -> EventSummary:
    """Sales of ``event`` from its attendees (pure; see :meth:`EventbriteClient.get_event_summary`)."""
    groups: dict[tuple[str | None, str | None], list[Attendee]] = defaultdict(list)
    for attendee in attendees:
        groups[(attendee.ticket_class_id, attendee.ticket_class_name)].append(attendee)
    classes = []
    for (class_id, class_name), rows in sorted(groups.items(), key=lambda kv: str(kv[0][0])):
        sold = [a for a in rows if a.state != "cancelled"]
        refunded = [a for a in rows if a.state == "refunded"]
        gross = sum((_major(a) for a in sold), Decimal(0))
        refunds = sum((_major(a) for a in refunded), Decimal(0))
        currency = next((a.costs.gross.currency for a in rows if a.costs.gross), event.currency)
        classes.append(
            TicketClassSummary(
                ticket_class_id=class_id,
                ticket_class_name=class_name,
                currency=currency,
                tickets_sold=sum(a.quantity for a in sold),
                tickets_refunded=sum(a.quantity for a in refunded),
                tickets_cancelled=sum(a.quantity for a in rows if a.state == "cancelled"),
                checked_in=sum(a.quantity for a in rows if a.state == "attended"),
                gross=gross,
                refunds=refunds,
                net=gross - refunds,
            )
        )
    return EventSummary(
        event_id=event.id,
        name=event.title,
        start=event.start.utc,
        cancelled=event.cancelled,
        currency=event.currency,
        tickets_sold=sum(c.tickets_sold for c in classes),
        tickets_refunded=sum(c.tickets_refunded for c in classes),
        tickets_cancelled=sum(c.tickets_cancelled for c in classes),
        checked_in=sum(c.checked_in for c in classes),
        gross=sum((c.gross for c in classes), Decimal(0)),
        refunds=sum((c.refunds for c in classes), Decimal(0)),
        net=sum((c.net for c in classes), Decimal(0)),
        orders=orders,
        ticket_classes=classes,
    )


def _major(attendee: Attendee) -> Decimal:
    return attendee.costs.gross.major_value if attendee.costs.gross else Decimal(0)
