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
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.framework import FaultProfile, SandboxContext
from sandbox.world import World

SERVICE = "eventbrite"
STATIC_TOKEN = "sandbox-eventbrite-token"
ORG_ID = "311042000001"
USER_ID = "199000000001"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
EVENT_NAMES = (
    "Open Bout Night",
    "Sabre Masterclass",
    "Épée Tournament",
    "Foil Fundamentals Workshop",
    "En Garde Gala",
    "Junior Fencing Day",
    "Veterans Cup",
    "Footwork Bootcamp",
)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return f"{moment.isoformat(timespec='seconds')[:19]}Z"


def _local(moment: datetime, zone: str = "Europe/Lisbon") -> str:
    try:
        tz: tzinfo = ZoneInfo(zone)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        tz = UTC
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")


def _parts(cents: int) -> dict[str, int]:
    # The documented identity: gross = base_price + eventbrite_fee + payment_fee + tax.
    fee = cents // 10
    payment = cents * 3 // 100
    tax = cents * 6 // 100
    return {
        "base_price": cents - fee - payment - tax,
        "eventbrite_fee": fee,
        "payment_fee": payment,
        "tax": tax,
        "gross": cents,
    }


@functools.cache
def _costs(cents: int) -> dict[str, Any]:
    # Shared read-only dicts: one per price keeps generation fast at large scales.
    return {name: _money("EUR", value) for name, value in _parts(cents).items()}


def _order_costs(prices: list[int]) -> dict[str, Any]:
    """An order's costs: each documented component summed over its tickets."""
    totals = dict.fromkeys(("base_price", "eventbrite_fee", "payment_fee", "tax", "gross"), 0)
    for price in prices:
        for name, value in _parts(price).items():
            totals[name] += value
    return {name: _money("EUR", value) for name, value in totals.items()}


#: The orders ``status`` filter: which order statuses each value keeps.
ORDER_STATUS_FILTER: dict[str, tuple[str, ...]] = {
    "active": ("placed",),
    "inactive": ("refunded", "transferred", "deleted"),
    "both": ("placed", "refunded", "transferred", "deleted"),
    "all_not_deleted": ("placed", "refunded", "transferred"),
}
ORGANIZATION = {
    "_type": "organization",
    "id": ORG_ID,
    "name": "En Garde",
    "vertical": "default",
    "image_id": None,
    "locale": "en_US",
    "created": "2023-02-14T10:00:00Z",
}


def _money(currency: str, cents: int) -> dict[str, Any]:
    major = f"{cents / 100:.2f}"
    return {"currency": currency, "value": cents, "major_value": major, "display": f"{major} {currency}"}


def _error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description, "status_code": status}, status)


def rate_limited() -> Response:
    """Eventbrite's hourly-limit 429: no Retry-After, the code in ``error``."""
    return _error(
        429,
        "HIT_RATE_LIMIT",
        "Hourly rate limit has been reached for this token. Default rate limits are 2,000 calls per hour.",
    )


FAULTS = FaultProfile(
    rate_limited=rate_limited,
    server_error=lambda: _error(500, "INTERNAL_ERROR", "Unhandled error occurred in Eventbrite."),
    # Private and OAuth tokens are long-lived: there is no expiry to inject.
    expired_token=None,
    exempt=("/oauth/",),
)


@dataclass
class EventbriteState:
    """Everything the twin serves; tests may mutate it through the helpers below."""

    events: list[dict[str, Any]]
    attendees: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    #: event id -> (cancelled, sales status) kept apart: the event's own ``status`` may lie.
    cancelled_events: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=lambda: {STATIC_TOKEN})
    codes: dict[str, str] = field(default_factory=dict)
    next_event: int = 0


def generate(world: World) -> EventbriteState:
    """Build the organization's events, orders and attendees from the shared world."""
    rng = world.rng_for(SERVICE)
    anchor = world.anchor.astimezone(UTC)
    n_events = min(80, 12 + world.scale // 1000)
    n_attendees = max(20, world.scale // 5)
    events: list[dict[str, Any]] = []
    cancelled: set[str] = set()
    classes: dict[str, list[tuple[str, str, int]]] = {}
    for i in range(n_events):
        start = (anchor - timedelta(days=365) + timedelta(days=rng.uniform(0, 425))).replace(
            minute=0, second=0, microsecond=0
        )
        start = start.replace(hour=rng.choice((10, 17, 18, 19)))
        end = start + timedelta(hours=rng.choice((2, 3, 4)))
        event_id = str(700_000_000_000 + i * 7919)
        free = rng.random() < 0.15
        price = 0 if free else rng.choice((1000, 1500, 2000, 2500, 3500))
        ticket_classes = [(f"{event_id}1", "General Admission", price)]
        if not free and rng.random() < 0.5:
            ticket_classes.append((f"{event_id}2", "Member", price * 7 // 10))
        classes[event_id] = ticket_classes
        is_cancelled = rng.random() < 0.08 or i in (3, n_events // 2)
        status = "completed" if end < anchor else "live"
        if is_cancelled:
            cancelled.add(event_id)
            # Half of the cancelled events still say "live": only the sales status tells.
            # (Always one of each kind, so every world shows the quirk.)
            says_canceled = rng.random() < 0.5
            status = "canceled" if (says_canceled or i == n_events // 2) and i != 3 else status
        created = start - timedelta(days=rng.uniform(20, 90))
        events.append(
            {
                "id": event_id,
                "name": {"text": f"{rng.choice(EVENT_NAMES)} {start:%b %Y}", "html": None},
                "description": {"text": "An En Garde event.", "html": "<p>An En Garde event.</p>"},
                "summary": "An En Garde event.",
                "url": f"https://www.eventbrite.com/e/{event_id}",
                "start": {
                    "timezone": "Europe/Lisbon",
                    "local": _local(start),
                    "utc": _iso(start),
                },
                "end": {
                    "timezone": "Europe/Lisbon",
                    "local": _local(end),
                    "utc": _iso(end),
                },
                "created": _iso(min(created, anchor)),
                "changed": _iso(min(created, anchor)),
                "published": _iso(min(created, anchor)),
                "status": status,
                "currency": "EUR",
                "online_event": rng.random() < 0.2,
                "is_free": free,
                "organization_id": ORG_ID,
                "venue_id": None if free else "55000001",
                "capacity": 200,
                "listed": True,
                "is_series": False,
                "is_series_parent": False,
                "resource_uri": f"https://www.eventbriteapi.com/v3/events/{event_id}/",
            }
        )
        events[-1]["name"]["html"] = events[-1]["name"]["text"]
    events.sort(key=lambda e: e["start"]["utc"])
    starts = {e["id"]: datetime.fromisoformat(e["start"]["utc"].replace("Z", "+00:00")) for e in events}
    pool = world.pick_people(rng, max(10, n_attendees * 2 // 3), bookers_share=0.45)
    weights = [rng.uniform(0.5, 2.0) for _ in events]
    attendees: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    chosen_events = rng.choices(events, weights=weights, k=n_attendees)
    n = 0
    o = 0
    while n < n_attendees:
        event = chosen_events[n]
        event_id = event["id"]
        start = starts[event_id]
        person = rng.choice(pool)
        email = world.email_variant(person, rng)
        created = min(start - timedelta(days=rng.expovariate(1 / 14)), anchor - timedelta(hours=1))
        quantity = 2 if rng.random() < 0.12 else 1
        order_id = str(500_000_000 + o)
        o += 1
        prices: list[int] = []
        order_status = "placed"
        refund_all = event_id in cancelled
        for _ in range(min(quantity, n_attendees - n)):
            class_id, class_name, price = rng.choice(classes[event_id])
            roll = rng.random()
            refunded = (refund_all and price > 0) or (not refund_all and roll < 0.06)
            cancelled_ticket = (refund_all and price == 0) or (not refund_all and 0.06 <= roll < 0.1)
            checked_in = not (refunded or cancelled_ticket) and start < anchor and rng.random() < 0.7
            changed = created
            if refunded or cancelled_ticket:
                changed = min(created + timedelta(days=rng.uniform(0.5, 10)), anchor - timedelta(minutes=5))
            elif checked_in:
                changed = min(start + timedelta(minutes=rng.uniform(0, 30)), anchor - timedelta(minutes=5))
            status = "Checked In" if checked_in else "Attending"
            if refunded or cancelled_ticket:
                status = "Not Attending"
            prices.append(price)
            attendees.append(
                {
                    "id": str(1_000_000_000 + n),
                    "event_id": event_id,
                    "order_id": order_id,
                    "ticket_class_id": class_id,
                    "ticket_class_name": class_name,
                    "created": _iso(created),
                    "changed": _iso(changed),
                    "status": status,
                    "checked_in": checked_in,
                    "cancelled": cancelled_ticket,
                    "refunded": refunded,
                    "quantity": 1,
                    "profile": {
                        "first_name": person.first_name,
                        "last_name": person.last_name,
                        "name": f"{person.first_name} {person.last_name}",
                        "email": email,
                        "cell_phone": person.phone if rng.random() < 0.4 else None,
                        "addresses": {},
                    },
                    "costs": _costs(price),
                    "answers": [],
                    "barcodes": [
                        {
                            "barcode": f"{n:012d}",
                            "status": "used" if checked_in else "unused",
                            "checkin_type": 0,
                        }
                    ],
                    "affiliate": None,
                    "delivery_method": "electronic",
                    "resource_uri": f"https://www.eventbriteapi.com/v3/events/{event_id}/attendees/{1_000_000_000 + n}/",
                }
            )
            if refunded:
                order_status = "refunded"
            n += 1
        orders.append(
            {
                "id": order_id,
                "event_id": event_id,
                "created": _iso(created),
                "changed": attendees[-1]["changed"],
                "name": f"{person.first_name} {person.last_name}",
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": email,
                "status": order_status,
                "costs": _order_costs(prices),
                "resource_uri": f"https://www.eventbriteapi.com/v3/orders/{order_id}/",
            }
        )
    return EventbriteState(events=events, attendees=attendees, orders=orders, cancelled_events=cancelled)


def state_of(ctx: SandboxContext) -> EventbriteState:
    """The twin's state in ``ctx`` (built on first use)."""
    state = ctx.state.get(SERVICE)
    if state is None:
        state = ctx.state[SERVICE] = generate(ctx.world)
    assert isinstance(state, EventbriteState)
    return state


def refund_attendees(ctx: SandboxContext, count: int, *, now: datetime | None = None) -> list[str]:
    """Refund ``count`` active attendees (as an organizer would), stamping ``changed`` with now."""
    state = state_of(ctx)
    stamp = _iso(now or datetime.now(UTC))
    active = [a for a in state.attendees if not a["refunded"] and not a["cancelled"]]
    picked = ctx.world.rng_for("eventbrite:refunds").sample(active, min(count, len(active)))
    for attendee in picked:
        attendee.update(refunded=True, checked_in=False, status="Not Attending", changed=stamp)
        for order in state.orders:
            if order["id"] == attendee["order_id"]:
                order.update(status="refunded", changed=stamp)
    return [a["id"] for a in picked]


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _encode_token(offset: int, key: str) -> str:
    raw = json.dumps({"o": offset, "k": key}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, key: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(raw)
        offset = int(body["o"])
    except (ValueError, KeyError, TypeError):
        return None
    return offset if body.get("k") == key and offset >= 0 else None


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

    def authorized(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        token = (
            header[7:].strip() if header.lower().startswith("bearer ") else request.query_params.get("token")
        )
        if not token:
            return _error(401, "NO_AUTH", "An OAuth token is required for this call but was not provided.")
        if token not in state.tokens:
            return _error(400, "INVALID_AUTH", "The OAuth token you provided was invalid.")
        return None

    def paginate(request: Request, key: str, rows: list[dict[str, Any]], size: int) -> Response:
        cursor_key = hashlib.sha1(
            f"{request.url.path}?{sorted((k, v) for k, v in request.query_params.items() if k != 'continuation')}".encode()
        ).hexdigest()[:12]
        offset = 0
        if token := request.query_params.get("continuation"):
            decoded = _decode_token(token, cursor_key)
            if decoded is None:
                return _error(400, "BAD_CONTINUATION_TOKEN", "Invalid continuation token passed.")
            offset = decoded
        page = rows[offset : offset + size]
        end = min(offset + size, len(rows)) if offset < len(rows) else offset
        pagination = {
            "object_count": len(rows),
            "page_number": offset // size + 1,
            "page_size": size,
            "page_count": max(1, -(-len(rows) // size)),
            # Eventbrite still sends a continuation on the last page; has_more_items is the rule.
            "continuation": _encode_token(end, cursor_key),
            "has_more_items": end < len(rows),
        }
        return JSONResponse({"pagination": pagination, key: page})

    def page_size(request: Request) -> int:
        try:
            return max(1, min(MAX_PAGE_SIZE, int(request.query_params.get("page_size", DEFAULT_PAGE_SIZE))))
        except ValueError:
            return DEFAULT_PAGE_SIZE

    def changed_filter(request: Request) -> tuple[datetime | None, Response | None]:
        value = request.query_params.get("changed_since")
        if not value:
            return None, None
        moment = _parse_time(value)
        if moment is None:
            return None, _error(400, "ARGUMENTS_ERROR", "There are errors with your arguments: changed_since")
        return moment, None

    def render_event(event: dict[str, Any], expand: str) -> dict[str, Any]:
        out = dict(event)
        if "event_sales_status" in expand.split(","):
            if event["id"] in state.cancelled_events:
                out["event_sales_status"] = {
                    "sales_status": "unavailable",
                    "message_code": "event_cancelled",
                    "message": "This event has been cancelled.",
                    "message_type": "canned_text",
                }
            else:
                ended = _parse_time(event["end"]["utc"]) or datetime.now(UTC)
                on_sale = ended > ctx.world.anchor.astimezone(UTC)
                out["event_sales_status"] = {"sales_status": "on_sale" if on_sale else "sales_ended"}
        return out

    def org_or_404(org_id: str) -> Response | None:
        return (
            None
            if org_id == ORG_ID
            else _error(404, "NOT_FOUND", "The organization you requested does not exist.")
        )

    def event_or_none(event_id: str) -> dict[str, Any] | None:
        return next((e for e in state.events if e["id"] == event_id), None)

    async def me(request: Request) -> Response:
        if denied := authorized(request):
            return denied
        return JSONResponse(
            {
                "id": USER_ID,
                "name": "En Garde Events",
                "first_name": "En Garde",
                "last_name": "Events",
                "emails": [{"email": "events@engarde.example", "verified": True, "primary": True}],
                "is_public": False,
                "image_id": None,
            }
        )

    async def organizations(request: Request) -> Response:
        if denied := authorized(request):
            return denied
        return paginate(request, "organizations", [dict(ORGANIZATION)], DEFAULT_PAGE_SIZE)

    async def org_events(request: Request) -> Response:
        if denied := authorized(request) or org_or_404(request.path_params["org_id"]):
            return denied
        if request.method == "POST":
            return await create_event(request)
        status = request.query_params.get("status", "all")
        time_filter = request.query_params.get("time_filter", "all")
        now = ctx.world.anchor.astimezone(UTC)
        rows = []
        for event in state.events:
            if status not in ("all", "") and event["status"] not in status.split(","):
                continue
            end = _parse_time(event["end"]["utc"]) or now
            if (time_filter == "past" and end >= now) or (time_filter == "current_future" and end < now):
                continue
            rows.append(render_event(event, request.query_params.get("expand", "")))
        if request.query_params.get("order_by") == "start_desc":
            rows.reverse()
        return paginate(request, "events", rows, page_size(request))

    async def create_event(request: Request) -> Response:
        try:
            body = (await request.json())["event"]
            name = body["name"]["html"]
            start, end = _parse_time(body["start"]["utc"]), _parse_time(body["end"]["utc"])
            currency = body["currency"]
        except (ValueError, KeyError, TypeError):
            return _error(
                400,
                "ARGUMENTS_ERROR",
                "There are errors with your arguments: event.name, event.start, event.end, event.currency are required.",
            )
        if start is None or end is None or end <= start:
            return _error(
                400,
                "ARGUMENTS_ERROR",
                "There are errors with your arguments: event.end must be after event.start.",
            )
        state.next_event += 1
        event_id = str(790_000_000_000 + state.next_event)
        stamp = _iso(datetime.now(UTC))
        tz = body["start"].get("timezone", "UTC")
        event = {
            "id": event_id,
            "name": {"text": name, "html": name},
            "description": {"text": body.get("summary"), "html": body.get("summary")},
            "summary": body.get("summary"),
            "url": f"https://www.eventbrite.com/e/{event_id}",
            "start": {"timezone": tz, "local": _local(start, tz), "utc": _iso(start)},
            "end": {"timezone": tz, "local": _local(end, tz), "utc": _iso(end)},
            "created": stamp,
            "changed": stamp,
            "published": None,
            "status": "draft",
            "currency": currency,
            "online_event": bool(body.get("online_event", False)),
            "is_free": False,
            "organization_id": ORG_ID,
            "capacity": body.get("capacity"),
            "listed": True,
            "is_series": False,
            "is_series_parent": False,
            "resource_uri": f"https://www.eventbriteapi.com/v3/events/{event_id}/",
        }
        state.events.append(event)
        return JSONResponse(event)

    async def get_event(request: Request) -> Response:
        if denied := authorized(request):
            return denied
        event = event_or_none(request.path_params["event_id"])
        if event is None:
            return _error(404, "NOT_FOUND", "The event you requested does not exist.")
        return JSONResponse(render_event(event, request.query_params.get("expand", "")))

    def select(
        request: Request, rows: list[dict[str, Any]], *, event_id: str | None
    ) -> list[dict[str, Any]] | Response:
        since, bad = changed_filter(request)
        if bad:
            return bad
        status = request.query_params.get("status")
        order_statuses: tuple[str, ...] | None = None
        if rows is state.orders:
            # Orders: active / inactive / both / all_not_deleted (unset: every order).
            order_statuses = ORDER_STATUS_FILTER.get(status or "both")
            if order_statuses is None:
                choices = ", ".join(ORDER_STATUS_FILTER)
                return _error(
                    400,
                    "ARGUMENTS_ERROR",
                    f"There are errors with your arguments: status must be one of {choices}",
                )
        out = []
        for row in rows:
            if order_statuses is not None and row["status"] not in order_statuses:
                continue
            if event_id is not None and row["event_id"] != event_id:
                continue
            if since is not None and (_parse_time(row["changed"]) or since) < since:
                continue
            if status == "attending" and (row.get("refunded") or row.get("cancelled")):
                continue
            if status == "not_attending" and not (row.get("refunded") or row.get("cancelled")):
                continue
            out.append(row)
        return out

    def listing(key: str, rows_of: str, scope: str) -> Any:
        async def endpoint(request: Request) -> Response:
            if denied := authorized(request):
                return denied
            event_id = None
            if scope == "org":
                if missing := org_or_404(request.path_params["org_id"]):
                    return missing
            else:
                event_id = request.path_params["event_id"]
                if event_or_none(event_id) is None:
                    return _error(404, "NOT_FOUND", "The event you requested does not exist.")
            rows = select(request, getattr(state, rows_of), event_id=event_id)
            if isinstance(rows, Response):
                return rows
            return paginate(request, key, rows, DEFAULT_PAGE_SIZE)

        return endpoint

    async def authorize(request: Request) -> Response:
        redirect_uri = request.query_params.get("redirect_uri")
        if (
            request.query_params.get("response_type") != "code"
            or not request.query_params.get("client_id")
            or not redirect_uri
        ):
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "response_type=code, client_id and redirect_uri are required",
                },
                400,
            )
        code = secrets.token_hex(12)  # alphanumeric like the real codes (a leading "-" reads as a CLI option)
        state.codes[code] = request.query_params["client_id"]
        query = {"code": code}
        if request.query_params.get("state"):
            query["state"] = request.query_params["state"]
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    async def token(request: Request) -> Response:
        # Form-encoded body, parsed by hand: python-multipart is not a dependency.
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("grant_type") != "authorization_code":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be authorization_code",
                },
                400,
            )
        code = str(form.get("code") or "")
        if not form.get("client_secret") or state.codes.pop(code, None) != form.get("client_id"):
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "The authorization code is invalid or has been used.",
                },
                400,
            )
        access = f"eb-oauth-{secrets.token_hex(10)}"
        state.tokens.add(access)
        return JSONResponse({"access_token": access, "token_type": "bearer"})

    routes = [
        Route("/v3/users/me/", me),
        Route("/v3/users/me/organizations/", organizations),
        Route("/v3/organizations/{org_id}/events/", org_events, methods=["GET", "POST"]),
        Route("/v3/events/{event_id}/", get_event),
        Route("/v3/events/{event_id}/attendees/", listing("attendees", "attendees", "event")),
        Route("/v3/organizations/{org_id}/attendees/", listing("attendees", "attendees", "org")),
        Route("/v3/events/{event_id}/orders/", listing("orders", "orders", "event")),
        Route("/v3/organizations/{org_id}/orders/", listing("orders", "orders", "org")),
        Route("/oauth/authorize", authorize),
        Route("/oauth/token", token, methods=["POST"]),
    ]
    return Starlette(routes=routes)
