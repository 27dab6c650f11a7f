"""Eventbrite v3 connector: events, attendees, orders, summaries, OAuth code flow."""

from connectors.eventbrite.client import (
    EventbriteClient,
    eventbrite_limiter,
    eventbrite_retry,
    format_changed_since,
)
from connectors.eventbrite.models import (
    Attendee,
    AttendeeExtract,
    Event,
    EventSummary,
    Order,
    Organization,
    TicketClassSummary,
    User,
)
from connectors.eventbrite.oauth import authorize_url, exchange_code
from connectors.eventbrite.sales import summarize_event
from connectors.eventbrite.settings import EventbriteSettings

__all__ = [
    "Attendee",
    "AttendeeExtract",
    "Event",
    "EventSummary",
    "EventbriteClient",
    "EventbriteSettings",
    "Order",
    "Organization",
    "TicketClassSummary",
    "User",
    "authorize_url",
    "eventbrite_limiter",
    "eventbrite_retry",
    "exchange_code",
    "format_changed_since",
    "summarize_event",
]
