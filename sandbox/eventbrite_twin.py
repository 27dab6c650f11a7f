"""Eventbrite v3 twin: the organization's events, attendees and orders, served like Eventbrite.

Data comes from the shared world (``world.rng_for("eventbrite")``): a few dozen events around
the anchor, about ``scale / 5`` attendees (the same people as the EasyAppointments bookers for
a share of them, under other email casings), refunds, cancellations (some cancelled events still
say ``status: live``; only ``event_sales_status`` tells), check-ins. Quirks reproduced: the
continuation still comes on the last page (``has_more_items`` is the stop rule; the last token
answers an empty page), ``BAD_CONTINUATION_TOKEN``, errors as ``{"error": CODE, ...}``, the
``HIT_RATE_LIMIT`` 429 without Retry-After, ``changed_since`` on attendees and orders, the
orders ``status`` filter (``active`` placed / ``inactive`` refunded, transferred or deleted /
``both`` / ``all_not_deleted``), the documented cost components (``gross`` = ``base_price`` +
``eventbrite_fee`` + ``payment_fee`` + ``tax``) on attendees and orders, and the OAuth code
flow at ``/oauth/authorize`` and ``/oauth/token``. ``tests/sandbox/test_eventbrite_contract.py``
checks every answer against the documented objects.

Layout: the data in :mod:`sandbox.eventbrite_data`, Eventbrite's error bodies, auth check and
continuation paging in :mod:`sandbox.eventbrite_http`, the routes in :mod:`sandbox.eventbrite_routes`;
this module keeps the entry points (``build_app``, ``FAULTS``, ``state_of``, ``refund_attendees``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.applications import Starlette

from sandbox.conventions import iso_utc, state_in
from sandbox.eventbrite_data import (
    ORG_ID,
    SERVICE,
    STATIC_TOKEN,
    USER_ID,
    EventbriteState,
    generate,
)
from sandbox.eventbrite_http import error, rate_limited
from sandbox.eventbrite_routes import EventbriteRoutes
from sandbox.framework import FaultProfile, SandboxContext

__all__ = [
    "FAULTS",
    "ORG_ID",
    "STATIC_TOKEN",
    "USER_ID",
    "EventbriteState",
    "build_app",
    "generate",
    "rate_limited",
    "refund_attendees",
    "state_of",
]

FAULTS = FaultProfile(
    rate_limited=rate_limited,
    server_error=lambda: error(500, "INTERNAL_ERROR", "Unhandled error occurred in Eventbrite."),
    # Private and OAuth tokens are long-lived: there is no expiry to inject.
    expired_token=None,
    exempt=("/oauth/",),
)


def state_of(ctx: SandboxContext) -> EventbriteState:
    """The twin's state in ``ctx`` (built on first use)."""
    return state_in(ctx, SERVICE, EventbriteState, generate)


def refund_attendees(ctx: SandboxContext, count: int, *, now: datetime | None = None) -> list[str]:
    """Refund ``count`` active attendees (as an organizer would), stamping ``changed`` with now."""
    state = state_of(ctx)
    stamp = iso_utc(now or datetime.now(UTC))
    active = [a for a in state.attendees if not a["refunded"] and not a["cancelled"]]
    picked = ctx.world.rng_for("eventbrite:refunds").sample(active, min(count, len(active)))
    for attendee in picked:
        attendee.update(refunded=True, checked_in=False, status="Not Attending", changed=stamp)
        for order in state.orders:
            if order["id"] == attendee["order_id"]:
                order.update(status="refunded", changed=stamp)
    return [a["id"] for a in picked]


def build_app(ctx: SandboxContext) -> Starlette:
    """The Eventbrite twin (API under ``/v3``, OAuth under ``/oauth``)."""
    state = state_of(ctx)
    ctx.stats_hooks[SERVICE] = lambda: {
        "events": len(state.events),
        "cancelled_events": len(state.cancelled_events),
        "attendees": len(state.attendees),
        "refunded": sum(a["refunded"] for a in state.attendees),
        "cancelled": sum(a["cancelled"] for a in state.attendees),
        "orders": len(state.orders),
        "oauth_tokens_issued": len(state.tokens) - 1,
    }
    return Starlette(routes=EventbriteRoutes(state, ctx.world.anchor).routes())
