"""Async Eventbrite v3 client: every method of the seed, over the shared HTTP mechanism.

Pagination stops on ``has_more_items == false`` (a continuation still comes on the last
page); errors are classified by Eventbrite's ``error`` code; every call goes through the
process-wide 2,000/hour limiter, and a ``HIT_RATE_LIMIT`` 429 (no Retry-After) waits by
the hourly window.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any, Literal

import httpx
from pydantic import SecretStr, ValidationError

from connectors.days import day_bounds
from connectors.eventbrite.models import (
    Attendee,
    AttendeeExtract,
    Event,
    EventSummary,
    Order,
    Organization,
    User,
)
from connectors.eventbrite.sales import summarize_event
from connectors.eventbrite.settings import EventbriteSettings
from connectors.http import (
    JSON,
    CallStats,
    ContinuationPaginator,
    HttpClient,
    RateLimiter,
    ResponseValidationError,
    RetryPolicy,
    iter_pages,
    shared_limiter,
)

log = logging.getLogger(__name__)

PROVIDER = "eventbrite"
#: Codes Eventbrite uses for a missing, malformed or invalid token (400 or 401).
AUTH_ERROR_CODES = frozenset({"INVALID_AUTH", "INVALID_AUTH_HEADER", "NO_AUTH", "ACCESS_DENIED"})
EventStatus = Literal["draft", "live", "started", "ended", "completed", "canceled", "all"]
TimeFilter = Literal["current_future", "past", "all"]


def eventbrite_limiter(calls_per_hour: int = 2000) -> RateLimiter:
    """The process-wide Eventbrite budget (one per token in practice: 2,000 calls/hour)."""
    return shared_limiter(PROVIDER, [(calls_per_hour, 3600.0)])


def eventbrite_retry(rate_limit_window: float = 3600.0) -> RetryPolicy:
    """Retry policy: a ``HIT_RATE_LIMIT`` waits up to the hourly window, twice over at most."""
    return RetryPolicy(
        rate_limit_window=rate_limit_window,
        max_rate_limit_waits=6,
        max_total_seconds=max(600.0, 2 * rate_limit_window),
    )


def format_changed_since(moment: datetime) -> str:
    """``changed_since`` as Eventbrite wants it: ISO 8601 UTC with a ``Z``, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventbriteClient:
    """Eventbrite v3 for one token. Use as an async context manager.

    ``client`` injects an ``httpx.AsyncClient`` (not closed here); ``retry`` and ``limiter``
    override the production policy (tests use short windows).
    """

    def __init__(
        self,
        token: SecretStr | str,
        *,
        base_url: str = "https://www.eventbriteapi.com/v3",
        organization_id: str | None = None,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 30.0,
        page_size: int = 50,
    ) -> None:
        secret = token.get_secret_value() if isinstance(token, SecretStr) else token
        if not secret:
            raise ValueError("an Eventbrite token is required (EVENTBRITE_OAUTH_TOKEN)")
        self._organization_id = organization_id
        self._page_size = page_size
        self.http = HttpClient(
            PROVIDER,
            base_url,
            headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"},
            timeout=timeout,
            retry=retry or eventbrite_retry(),
            limiter=limiter or eventbrite_limiter(),
            client=client,
            auth_error_codes=AUTH_ERROR_CODES,
        )

    @classmethod
    def from_settings(
        cls,
        settings: EventbriteSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> EventbriteClient:
        """A client configured from :class:`EventbriteSettings` (the environment by default).

        ``limiter`` replaces the process-wide hourly budget, e.g. with one also backed by a
        budget shared across processes.
        """
        settings = settings or EventbriteSettings()
        if settings.oauth_token is None:
            raise ValueError(
                "EVENTBRITE_OAUTH_TOKEN is not set: use a private token, or run "
                "`engarde eventbrite authorize` then `engarde eventbrite exchange CODE`"
            )
        return cls(
            settings.oauth_token,
            base_url=settings.api_url,
            organization_id=settings.organization_id,
            client=client,
            retry=retry or eventbrite_retry(settings.rate_limit_window),
            limiter=limiter or eventbrite_limiter(settings.calls_per_hour),
            timeout=settings.timeout,
        )

    async def __aenter__(self) -> EventbriteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        await self.http.aclose()

    @property
    def stats(self) -> CallStats:
        """Requests sent so far (by path, retries, rate-limited answers)."""
        return self.http.stats

    # ------------------------------------------------------------------ helpers

    def _parse(self, model: type[Any], data: JSON, path: str) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ResponseValidationError(
                f"unexpected {model.__name__} shape: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
                provider=PROVIDER,
                method="GET",
                path=path,
            ) from exc

    async def _pages(self, path: str, key: str, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
        async for page in iter_pages(
            self.http, path, ContinuationPaginator(PROVIDER), items=lambda body: body[key], params=params
        ):
            yield page

    async def organization_id(self) -> str:
        """The configured organization, or the first of the user's organizations (cached)."""
        if self._organization_id is None:
            orgs = await self.list_organizations()
            if not orgs:
                raise ResponseValidationError(
                    "the token's user belongs to no organization", provider=PROVIDER, path="/users/me/"
                )
            self._organization_id = orgs[0].id
        return self._organization_id

    # ------------------------------------------------------------------ seed methods

    async def test_connection(self) -> User:
        """Check the token: ``GET /users/me/``. Raises AuthenticationError when it is refused."""
        path = "/users/me/"
        user: User = self._parse(User, await self.http.get_json(path), path)
        return user

    async def list_organizations(self) -> list[Organization]:
        """The user's organizations (all pages)."""
        path = "/users/me/organizations/"
        out: list[Organization] = []
        async for page in self._pages(path, "organizations", {}):
            out.extend(self._parse(Organization, row, path) for row in page)
        return out

    async def iter_events(
        self,
        organization_id: str | None = None,
        *,
        status: EventStatus = "all",
        time_filter: TimeFilter = "all",
        order_by: str = "start_asc",
        page_size: int | None = None,
    ) -> AsyncIterator[Event]:
        """The organization's events, with ``event_sales_status`` so cancellations are known."""
        org = organization_id or await self.organization_id()
        path = f"/organizations/{org}/events/"
        params = {
            "status": status,
            "time_filter": time_filter,
            "order_by": order_by,
            "page_size": page_size or self._page_size,
            "expand": "event_sales_status",
        }
        async for page in self._pages(path, "events", params):
            for row in page:
                yield self._parse(Event, row, path)

    async def list_events(
        self,
        organization_id: str | None = None,
        *,
        status: EventStatus = "all",
        time_filter: TimeFilter = "all",
        starts_from: datetime | None = None,
        starts_before: datetime | None = None,
    ) -> list[Event]:
        """The organization's events (all pages), optionally only those starting in ``[from, before)``."""
        out = []
        async for event in self.iter_events(organization_id, status=status, time_filter=time_filter):
            if starts_from is not None and event.start.utc < starts_from:
                continue
            if starts_before is not None and event.start.utc >= starts_before:
                continue
            out.append(event)
        return out

    async def get_event(self, event_id: str) -> Event:
        """One event, with its sales status."""
        path = f"/events/{event_id}/"
        body = await self.http.get_json(path, params={"expand": "event_sales_status"})
        event: Event = self._parse(Event, body, path)
        return event

    async def create_event(
        self,
        *,
        name: str,
        start: datetime,
        end: datetime,
        currency: str = "EUR",
        timezone: str = "UTC",
        organization_id: str | None = None,
        online_event: bool = False,
        capacity: int | None = None,
        summary: str | None = None,
    ) -> Event:
        """Create a draft event under the organization (``POST /organizations/{id}/events/``).

        Not retried after it may have reached Eventbrite (a retry could create it twice).
        """
        org = organization_id or await self.organization_id()
        path = f"/organizations/{org}/events/"

        def when(moment: datetime) -> dict[str, str]:
            return {"timezone": timezone, "utc": format_changed_since(moment)}

        event: dict[str, Any] = {
            "name": {"html": name},
            "start": when(start),
            "end": when(end),
            "currency": currency,
            "online_event": online_event,
        }
        if capacity is not None:
            event["capacity"] = capacity
        if summary is not None:
            event["summary"] = summary
        response = await self.http.request("POST", path, json={"event": event})
        created: Event = self._parse(Event, self.http.decode(response, "POST", path), path)
        return created

    async def iter_attendees(
        self,
        *,
        organization_id: str | None = None,
        event_id: str | None = None,
        changed_since: datetime | None = None,
        status: str | None = None,
    ) -> AsyncIterator[Attendee]:
        """Attendees, organization-wide (default) or of one event, cancelled and refunded included.

        ``changed_since`` reads only attendees changed at or after that instant (incremental runs).
        """
        if event_id is not None:
            path = f"/events/{event_id}/attendees/"
        else:
            path = f"/organizations/{organization_id or await self.organization_id()}/attendees/"
        params = {
            "changed_since": format_changed_since(changed_since) if changed_since else None,
            "status": status,
        }
        async for page in self._pages(path, "attendees", params):
            for row in page:
                yield self._parse(Attendee, row, path)

    async def iter_orders(
        self,
        *,
        organization_id: str | None = None,
        event_id: str | None = None,
        changed_since: datetime | None = None,
        status: str | None = None,
    ) -> AsyncIterator[Order]:
        """Orders, organization-wide (default) or of one event."""
        if event_id is not None:
            path = f"/events/{event_id}/orders/"
        else:
            path = f"/organizations/{organization_id or await self.organization_id()}/orders/"
        params = {
            "changed_since": format_changed_since(changed_since) if changed_since else None,
            "status": status,
        }
        async for page in self._pages(path, "orders", params):
            for row in page:
                yield self._parse(Order, row, path)

    async def get_event_summary(self, event_id: str) -> EventSummary:
        """Tickets sold, gross, refunds and net for one event, per ticket class and in total.

        Sold = every ticket not cancelled (a refunded ticket was sold, then refunded);
        net = gross - refunds. Read from the event's attendees and orders.
        """
        event = await self.get_event(event_id)
        attendees = [a async for a in self.iter_attendees(event_id=event_id)]
        orders = {o.id async for o in self.iter_orders(event_id=event_id)}
        return summarize_event(event, attendees, orders=len(orders))

    async def extract_attendees(
        self,
        *,
        date_from: date,
        date_to: date,
        changed_since: datetime | None = None,
        organization_id: str | None = None,
    ) -> AttendeeExtract:
        """The audience extraction: events starting in the window and their attendees.

        Reads the organization's events (one or two pages) and the organization-level
        attendees, never one call per event. With ``changed_since`` (an incremental run) every
        changed attendee counts, whatever its event's date: a late refund for an older event
        must reach the audience too.
        """
        org = organization_id or await self.organization_id()
        start, end = day_bounds(date_from, date_to)
        before = self.stats.by_path.copy()
        if changed_since is None:
            events = await self.list_events(org, starts_from=start, starts_before=end)
        else:
            events = await self.list_events(org)
        wanted = {e.id for e in events}
        attendees = [
            a
            async for a in self.iter_attendees(organization_id=org, changed_since=changed_since)
            if a.event_id in wanted
        ]
        after = self.stats.by_path

        def pages(path: str) -> int:
            return after.get(path, 0) - before.get(path, 0)

        return AttendeeExtract(
            organization_id=org,
            events=events,
            attendees=attendees,
            event_pages=pages(f"/organizations/{org}/events/"),
            attendee_pages=pages(f"/organizations/{org}/attendees/"),
        )
