"""The Eventbrite twin's routes: the user, the organization's events, attendees and orders, OAuth."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.conventions import form_body, iso_utc
from sandbox.eventbrite_data import DEFAULT_PAGE_SIZE, ORG_ID, USER_ID, EventbriteState, local_time
from sandbox.eventbrite_http import authorized, changed_filter, error, page_size, paginate, parse_time

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


class EventbriteRoutes:
    """The endpoints over one twin's state; ``anchor`` is the world's "now" for event time filters."""

    def __init__(self, state: EventbriteState, anchor: datetime) -> None:
        self.state = state
        self.anchor = anchor.astimezone(UTC)

    def routes(self) -> list[Route]:
        """Every route, API under ``/v3`` and OAuth under ``/oauth``."""
        listing = self.listing
        return [
            Route("/v3/users/me/", self.me),
            Route("/v3/users/me/organizations/", self.organizations),
            Route("/v3/organizations/{org_id}/events/", self.org_events, methods=["GET", "POST"]),
            Route("/v3/events/{event_id}/", self.get_event),
            Route("/v3/events/{event_id}/attendees/", listing("attendees", "attendees", "event")),
            Route("/v3/organizations/{org_id}/attendees/", listing("attendees", "attendees", "org")),
            Route("/v3/events/{event_id}/orders/", listing("orders", "orders", "event")),
            Route("/v3/organizations/{org_id}/orders/", listing("orders", "orders", "org")),
            Route("/oauth/authorize", self.authorize),
            Route("/oauth/token", self.token, methods=["POST"]),
        ]

    def render_event(self, event: dict[str, Any], expand: str) -> dict[str, Any]:
        """An event as answered, with ``event_sales_status`` when ``expand`` asks for it."""
        out = dict(event)
        if "event_sales_status" in expand.split(","):
            if event["id"] in self.state.cancelled_events:
                out["event_sales_status"] = {
                    "sales_status": "unavailable",
                    "message_code": "event_cancelled",
                    "message": "This event has been cancelled.",
                    "message_type": "canned_text",
                }
            else:
                ended = parse_time(event["end"]["utc"]) or datetime.now(UTC)
                on_sale = ended > self.anchor
                out["event_sales_status"] = {"sales_status": "on_sale" if on_sale else "sales_ended"}
        return out

    def org_or_404(self, org_id: str) -> Response | None:
        """None for the organization's id, else Eventbrite's 404."""
        return (
            None
            if org_id == ORG_ID
            else error(404, "NOT_FOUND", "The organization you requested does not exist.")
        )

    def event_or_none(self, event_id: str) -> dict[str, Any] | None:
        """The event with ``event_id``, or None."""
        return next((e for e in self.state.events if e["id"] == event_id), None)

    async def me(self, request: Request) -> Response:
        """``GET /users/me/``."""
        if denied := authorized(request, self.state.tokens):
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

    async def organizations(self, request: Request) -> Response:
        """``GET /users/me/organizations/``: the one organization."""
        if denied := authorized(request, self.state.tokens):
            return denied
        return paginate(request, "organizations", [dict(ORGANIZATION)], DEFAULT_PAGE_SIZE)

    async def org_events(self, request: Request) -> Response:
        """``GET`` (filters ``status``, ``time_filter``, ``order_by``) or ``POST`` the organization's events."""
        if denied := authorized(request, self.state.tokens) or self.org_or_404(request.path_params["org_id"]):
            return denied
        if request.method == "POST":
            return await self.create_event(request)
        status = request.query_params.get("status", "all")
        time_filter = request.query_params.get("time_filter", "all")
        now = self.anchor
        rows = []
        for event in self.state.events:
            if status not in ("all", "") and event["status"] not in status.split(","):
                continue
            end = parse_time(event["end"]["utc"]) or now
            if (time_filter == "past" and end >= now) or (time_filter == "current_future" and end < now):
                continue
            rows.append(self.render_event(event, request.query_params.get("expand", "")))
        if request.query_params.get("order_by") == "start_desc":
            rows.reverse()
        return paginate(request, "events", rows, page_size(request))

    async def create_event(self, request: Request) -> Response:
        """``POST /organizations/{id}/events/``: a draft event."""
        try:
            body = (await request.json())["event"]
            name = body["name"]["html"]
            start, end = parse_time(body["start"]["utc"]), parse_time(body["end"]["utc"])
            currency = body["currency"]
        except (ValueError, KeyError, TypeError):
            return error(
                400,
                "ARGUMENTS_ERROR",
                "There are errors with your arguments: event.name, event.start, event.end, event.currency are required.",
            )
        if start is None or end is None or end <= start:
            return error(
                400,
                "ARGUMENTS_ERROR",
                "There are errors with your arguments: event.end must be after event.start.",
            )
        self.state.next_event += 1
        event_id = str(790_000_000_000 + self.state.next_event)
        stamp = iso_utc(datetime.now(UTC))
        tz = body["start"].get("timezone", "UTC")
        event = {
            "id": event_id,
            "name": {"text": name, "html": name},
            "description": {"text": body.get("summary"), "html": body.get("summary")},
            "summary": body.get("summary"),
            "url": f"https://www.eventbrite.com/e/{event_id}",
            "start": {"timezone": tz, "local": local_time(start, tz), "utc": iso_utc(start)},
            "end": {"timezone": tz, "local": local_time(end, tz), "utc": iso_utc(end)},
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
        self.state.events.append(event)
        return JSONResponse(event)

    async def get_event(self, request: Request) -> Response:
        """``GET /events/{id}/``."""
        if denied := authorized(request, self.state.tokens):
            return denied
        event = self.event_or_none(request.path_params["event_id"])
        if event is None:
            return error(404, "NOT_FOUND", "The event you requested does not exist.")
        return JSONResponse(self.render_event(event, request.query_params.get("expand", "")))

    def select(
        self, request: Request, rows: list[dict[str, Any]], *, event_id: str | None
    ) -> list[dict[str, Any]] | Response:
        """The rows the request's filters keep (``changed_since``, ``status``), or the refusal."""
        since, bad = changed_filter(request)
        if bad:
            return bad
        status = request.query_params.get("status")
        order_statuses: tuple[str, ...] | None = None
        if rows is self.state.orders:
            # Orders: active / inactive / both / all_not_deleted (unset: every order).
            order_statuses = ORDER_STATUS_FILTER.get(status or "both")
            if order_statuses is None:
                choices = ", ".join(ORDER_STATUS_FILTER)
                return error(
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
            if since is not None and (parse_time(row["changed"]) or since) < since:
                continue
            if status == "attending" and (row.get("refunded") or row.get("cancelled")):
                continue
            if status == "not_attending" and not (row.get("refunded") or row.get("cancelled")):
                continue
            out.append(row)
        return out

    def listing(self, key: str, rows_of: str, scope: str) -> Callable[[Request], Awaitable[Response]]:
        """The list endpoint of ``rows_of`` (attendees or orders) for one event or the organization."""

        async def endpoint(request: Request) -> Response:
            if denied := authorized(request, self.state.tokens):
                return denied
            event_id = None
            if scope == "org":
                if missing := self.org_or_404(request.path_params["org_id"]):
                    return missing
            else:
                event_id = request.path_params["event_id"]
                if self.event_or_none(event_id) is None:
                    return error(404, "NOT_FOUND", "The event you requested does not exist.")
            rows = self.select(request, getattr(self.state, rows_of), event_id=event_id)
            if isinstance(rows, Response):
                return rows
            return paginate(request, key, rows, DEFAULT_PAGE_SIZE)

        return endpoint

    async def authorize(self, request: Request) -> Response:
        """``GET /oauth/authorize``: redirect to ``redirect_uri`` with a one-time code."""
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
        self.state.codes[code] = request.query_params["client_id"]
        query = {"code": code}
        if request.query_params.get("state"):
            query["state"] = request.query_params["state"]
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    async def token(self, request: Request) -> Response:
        """``POST /oauth/token``: exchange a code (once) for a long-lived token."""
        form = await form_body(request)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be authorization_code",
                },
                400,
            )
        code = str(form.get("code") or "")
        if not form.get("client_secret") or self.state.codes.pop(code, None) != form.get("client_id"):
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "The authorization code is invalid or has been used.",
                },
                400,
            )
        access = f"eb-oauth-{secrets.token_hex(10)}"
        self.state.tokens.add(access)
        return JSONResponse({"access_token": access, "token_type": "bearer"})
