"""Typed Eventbrite records: the parts of the v3 JSON this project reads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Record):
    """``GET /users/me/``."""

    id: str
    name: str | None = None
    emails: list[dict[str, object]] = Field(default_factory=list)


class Organization(_Record):
    """One of the user's organizations."""

    id: str
    name: str | None = None
    created: datetime | None = None
    locale: str | None = None


class Money(_Record):
    """Eventbrite money: minor units in ``value``, the major amount as a string."""

    currency: str
    value: int = 0
    major_value: Decimal = Decimal(0)
    display: str | None = None


class Text(_Record):
    """A multipart text (``name``, ``description``)."""

    text: str | None = None
    html: str | None = None


class EventTime(_Record):
    """``start`` / ``end``: UTC instant plus the local wall time and its zone."""

    timezone: str | None = None
    local: str | None = None
    utc: datetime


class SalesStatus(_Record):
    """``event_sales_status`` expansion; the only place a cancelled event reliably shows."""

    sales_status: str | None = None
    message_code: str | None = None
    message: str | None = None


class Event(_Record):
    """An event (``GET /events/{id}/`` or an organization's event list)."""

    id: str
    name: Text = Text()
    start: EventTime
    end: EventTime | None = None
    created: datetime | None = None
    changed: datetime | None = None
    status: str | None = None
    currency: str | None = None
    online_event: bool = False
    is_free: bool = False
    organization_id: str | None = None
    capacity: int | None = None
    url: str | None = None
    event_sales_status: SalesStatus | None = None

    @property
    def title(self) -> str:
        """The event's plain-text name."""
        return self.name.text or self.name.html or self.id

    @property
    def cancelled(self) -> bool:
        """True when the event was cancelled; ``status`` alone can still say ``live``."""
        if (self.status or "").lower() in ("canceled", "cancelled"):
            return True
        sales = self.event_sales_status
        if sales is None:
            return False
        return (sales.sales_status or "").lower() in ("canceled", "cancelled") or (
            sales.message_code or ""
        ).lower() in ("event_cancelled", "event_canceled")


class Profile(_Record):
    """The attendee's profile (name, email as the buyer typed it)."""

    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    cell_phone: str | None = None


class AttendeeCosts(_Record):
    """The attendee's costs; ``gross`` is what was paid for the ticket."""

    gross: Money | None = None


class Attendee(_Record):
    """One ticket holder. Cancelled and refunded attendees are returned too (with their flags)."""

    id: str
    event_id: str
    order_id: str | None = None
    ticket_class_id: str | None = None
    ticket_class_name: str | None = None
    created: datetime
    changed: datetime | None = None
    status: str | None = None
    checked_in: bool = False
    cancelled: bool = False
    refunded: bool = False
    quantity: int = 1
    profile: Profile = Profile()
    costs: AttendeeCosts = AttendeeCosts()

    @property
    def state(self) -> str:
        """``refunded`` / ``cancelled`` / ``attended`` (checked in) / ``booked``."""
        if self.refunded:
            return "refunded"
        if self.cancelled or (self.status or "").lower() in ("not attending", "deleted"):
            return "cancelled"
        if self.checked_in or (self.status or "").lower() == "checked in":
            return "attended"
        return "booked"


class OrderCosts(_Record):
    """An order's costs: ``gross`` = ``base_price`` + ``eventbrite_fee`` + ``payment_fee`` + ``tax``."""

    gross: Money | None = None
    base_price: Money | None = None
    eventbrite_fee: Money | None = None
    payment_fee: Money | None = None
    tax: Money | None = None


class Order(_Record):
    """An order (one purchase, one or more attendees)."""

    id: str
    event_id: str
    created: datetime
    changed: datetime | None = None
    status: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    costs: OrderCosts = OrderCosts()


class TicketClassSummary(_Record):
    """Sales of one ticket class of an event."""

    ticket_class_id: str | None
    ticket_class_name: str | None
    currency: str | None
    tickets_sold: int
    tickets_refunded: int
    tickets_cancelled: int
    checked_in: int
    gross: Decimal
    refunds: Decimal
    net: Decimal


class EventSummary(_Record):
    """Sales of one event: totals and one row per ticket class."""

    event_id: str
    name: str
    start: datetime
    cancelled: bool
    currency: str | None
    tickets_sold: int
    tickets_refunded: int
    tickets_cancelled: int
    checked_in: int
    gross: Decimal
    refunds: Decimal
    net: Decimal
    orders: int
    ticket_classes: list[TicketClassSummary]


class AttendeeExtract(_Record):
    """What the audience extraction reads: the window's events and their (changed) attendees."""

    organization_id: str
    events: list[Event]
    attendees: list[Attendee]
    #: Requests sent for the attendee / event listings (one per page, plus any retries).
    attendee_pages: int = 0
    event_pages: int = 0
