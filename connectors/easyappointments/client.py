"""Async client for the EasyAppointments REST API v1.

Window semantics. The server's ``from``/``till`` filters compare whole local dates:
``from`` keeps ``DATE(start) >= from`` and ``till`` keeps ``DATE(end) <= till``, so an
appointment that starts on ``till`` and ends after midnight would fall out. This client
defines a window ``[date_from, date_till]`` as *every appointment whose local start date
is in it*: it asks for ``till = date_till + max_span_days`` and drops, client-side, the
few appointments starting after ``date_till``. Never combine ``q`` with the date filters:
the server then silently ignores every filter.

Paging: page/length with a large ``length`` (default 1000) and always ``sort=id`` (the
server guarantees no order otherwise); a short page ends the list. Every request goes
through the shared budget (100 requests per 120 s by default, the server's own limit),
and a 429 (empty body, no Retry-After) waits by a 120 s window.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from pydantic import TypeAdapter, ValidationError

from connectors.easyappointments.models import (
    APPOINTMENTS,
    CUSTOMERS,
    PROVIDERS,
    SERVICES,
    Appointment,
    Customer,
    Provider,
    Service,
)
from connectors.easyappointments.settings import EasyAppointmentsSettings
from connectors.http import (
    CallStats,
    HttpClient,
    PageNumberPaginator,
    RateLimiter,
    ResponseValidationError,
    RetryPolicy,
    iter_pages,
    shared_limiter,
)

PROVIDER = "easyappointments"
#: The real server's default: 100 requests per 120 s per client IP, 429 without Retry-After.
RATE_LIMIT_WINDOW_SECONDS = 120.0
DEFAULT_SORT = "id"

T = TypeVar("T")


def parse_error(response: httpx.Response) -> tuple[str | None, str]:
    """``(code, message)`` for an EasyAppointments error response.

    The server's shapes: 401 with a plain-text body, 404 with an empty body (unknown id)
    or an HTML page (unknown route), 429 with an empty body, and 500 with
    ``{"success": false, "message": ...}`` for every validation or parameter error.
    """
    text = response.text.strip()
    status = response.status_code
    content_type = response.headers.get("content-type", "")
    if "json" in content_type or text.startswith("{"):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("message"):
            return None, str(body["message"])
    if status == 404:
        if not text:
            return None, "no such record (404 with an empty body)"
        return None, "no such route (the server answered its HTML 404 page)"
    if status == 429:
        return None, "rate limit reached (the server allows 100 requests per 120 s by default)"
    if text.lower().startswith(("<!doctype", "<html")):
        return None, f"{response.reason_phrase} (HTML error page)"
    return None, text[:300] or response.reason_phrase


class EasyAppointmentsClient:
    """An EasyAppointments API client. Use as ``async with EasyAppointmentsClient(settings) as ea:``.

    ``client`` injects an ``httpx.AsyncClient``; ``retry`` and ``limiter`` replace the
    default policy (120 s rate-limit window) and the process-wide budget for this instance.
    """

    def __init__(
        self,
        settings: EasyAppointmentsSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings or EasyAppointmentsSettings()
        s = self.settings
        self.zone: ZoneInfo = s.zone
        headers: dict[str, str] = {"Accept": "application/json"}
        auth: httpx.Auth | None = None
        if s.api_token is not None:
            headers["Authorization"] = f"Bearer {s.api_token.get_secret_value()}"
        else:
            assert s.admin_user is not None and s.admin_password is not None
            auth = httpx.BasicAuth(s.admin_user, s.admin_password.get_secret_value())
        self._http = HttpClient(
            PROVIDER,
            s.api_url,
            auth=auth,
            headers=headers,
            timeout=s.timeout,
            retry=retry or RetryPolicy(rate_limit_window=RATE_LIMIT_WINDOW_SECONDS),
            limiter=limiter
            or shared_limiter(f"{PROVIDER}:{s.api_url}", [(s.rate_limit_requests, s.rate_limit_seconds)]),
            client=client,
            error_parser=parse_error,
        )

    async def __aenter__(self) -> EasyAppointmentsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client (unless it was injected)."""
        await self._http.aclose()

    @property
    def stats(self) -> CallStats:
        """Requests sent so far (``.requests``, ``.retries``, ``.rate_limited``)."""
        return self._http.stats

    # ------------------------------------------------------------------ decoding

    def _validate(self, adapter: TypeAdapter[T], body: Any, path: str) -> T:
        try:
            return adapter.validate_python(body, context={"tz": self.zone})
        except ValidationError as exc:
            raise ResponseValidationError(
                f"records do not match the API encoding: {exc.errors()[0]}",
                provider=PROVIDER,
                method="GET",
                path=path,
            ) from exc

    async def _iter_all(
        self, path: str, adapter: TypeAdapter[list[T]], params: Mapping[str, Any]
    ) -> AsyncIterator[list[T]]:
        paginator = PageNumberPaginator(size=self.settings.page_length)
        async for page in iter_pages(self._http, path, paginator, items=_bare_list, params=dict(params)):
            yield self._validate(adapter, page, path)

    async def _get_one(self, adapter: TypeAdapter[T], path: str) -> T:
        body = await self._http.get_json(path)
        return self._validate(adapter, body, path)

    # ------------------------------------------------------------------ appointments

    def window_params(self, date_from: date, date_till: date) -> dict[str, str]:
        """The ``from``/``till`` query for the window ``[date_from, date_till]`` (see module doc)."""
        if date_from > date_till:
            raise ValueError(f"date_from {date_from} is after date_till {date_till}")
        till = date_till + timedelta(days=self.settings.max_span_days)
        return {"from": date_from.isoformat(), "till": till.isoformat()}

    def _listing_params(
        self,
        date_from: date,
        date_till: date,
        service_id: int | None,
        provider_id: int | None,
        customer_id: int | None,
    ) -> dict[str, Any]:
        """The query of an appointment listing: the window, sorted by id, the optional filters."""
        return {
            **self.window_params(date_from, date_till),
            "sort": DEFAULT_SORT,
            "serviceId": service_id,
            "providerId": provider_id,
            "customerId": customer_id,
        }

    def starts_by(self, appointment: Appointment, date_till: date) -> bool:
        """True when ``appointment`` starts (local date) on or before ``date_till``."""
        return appointment.start.astimezone(self.zone).date() <= date_till

    async def iter_appointment_pages(
        self,
        date_from: date,
        date_till: date,
        *,
        service_id: int | None = None,
        provider_id: int | None = None,
        customer_id: int | None = None,
    ) -> AsyncIterator[list[Appointment]]:
        """Yield, page by page, the appointments whose local start date is in ``[date_from, date_till]``.

        One request per ``page_length`` records (plus one when the last page is exactly
        full), sorted by id. Pages may be shorter than requested after the client-side
        start-date filter.
        """
        params = self._listing_params(date_from, date_till, service_id, provider_id, customer_id)
        async for page in self._iter_all("appointments", APPOINTMENTS, params):
            yield [a for a in page if self.starts_by(a, date_till)]

    async def iter_appointment_dicts(
        self,
        date_from: date,
        date_till: date,
        *,
        service_id: int | None = None,
        provider_id: int | None = None,
        customer_id: int | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The same pages as :meth:`iter_appointment_pages`, as the server's JSON objects.

        For bulk extraction: no per-record model, datetimes stay naive local text
        (``Y-m-d H:i:s`` in :attr:`zone`), to be validated and converted column-wise
        (``audience.from_easyappointments`` does). Only the shape is checked here: a list
        of objects, each with an ``id`` and a ``start``.
        """
        params = self._listing_params(date_from, date_till, service_id, provider_id, customer_id)
        last = date_till.isoformat()
        paginator = PageNumberPaginator(size=self.settings.page_length)
        async for page in iter_pages(self._http, "appointments", paginator, items=_bare_list, params=params):
            if not all(isinstance(r, dict) and "id" in r and isinstance(r.get("start"), str) for r in page):
                raise ResponseValidationError(
                    "appointments without an id or a start",
                    provider=PROVIDER,
                    method="GET",
                    path="appointments",
                )
            yield [r for r in page if r["start"][:10] <= last]

    async def iter_appointments(
        self,
        date_from: date,
        date_till: date,
        *,
        service_id: int | None = None,
        provider_id: int | None = None,
        customer_id: int | None = None,
    ) -> AsyncIterator[Appointment]:
        """Every appointment whose local start date is in ``[date_from, date_till]``, by id.

        Filters by service, provider and customer are applied by the server.
        """
        async for page in self.iter_appointment_pages(
            date_from, date_till, service_id=service_id, provider_id=provider_id, customer_id=customer_id
        ):
            for appointment in page:
                yield appointment

    async def list_appointments(
        self,
        page: int = 1,
        length: int | None = None,
        *,
        date_from: date | None = None,
        date_till: date | None = None,
        service_id: int | None = None,
        provider_id: int | None = None,
        customer_id: int | None = None,
        q: str | None = None,
        sort: str = DEFAULT_SORT,
    ) -> list[Appointment]:
        """One page (1-based) of appointments, ``length`` per page (default ``page_length``).

        With both dates the window is the same as :meth:`iter_appointments` (a page may
        then hold fewer records than ``length`` without being the last). ``q`` cannot be
        combined with any filter: the server would silently ignore the filters.
        """
        if page < 1:
            raise ValueError("page is 1-based")
        length = length or self.settings.page_length
        if length < 1:
            raise ValueError("length must be at least 1")
        filters: dict[str, Any] = {
            "serviceId": service_id,
            "providerId": provider_id,
            "customerId": customer_id,
        }
        if date_from is not None and date_till is not None:
            filters.update(self.window_params(date_from, date_till))
        elif date_from is not None:
            filters["from"] = date_from.isoformat()
        elif date_till is not None:
            filters["till"] = (date_till + timedelta(days=self.settings.max_span_days)).isoformat()
        if q is not None and any(v is not None for v in filters.values()):
            raise ValueError("q disables every other filter on this API; use one or the other")
        params = {**filters, "q": q, "sort": sort, "page": page, "length": length}
        body = await self._http.get_json("appointments", params=params)
        records = self._validate(APPOINTMENTS, _bare_list(body), "appointments")
        if date_till is not None:
            records = [a for a in records if self.starts_by(a, date_till)]
        return records

    async def get_appointment(self, appointment_id: int) -> Appointment:
        """One appointment by id (:class:`NotFoundError` when it does not exist)."""
        return await self._get_one(TypeAdapter(Appointment), f"appointments/{int(appointment_id)}")

    # ------------------------------------------------------------------ people and catalogue

    async def iter_customers(self) -> AsyncIterator[Customer]:
        """Every customer, by id, ``page_length`` per request."""
        async for page in self._iter_all("customers", CUSTOMERS, {"sort": DEFAULT_SORT}):
            for customer in page:
                yield customer

    async def list_customers(self) -> list[Customer]:
        """Every customer (all pages)."""
        return [c async for c in self.iter_customers()]

    async def get_customer(self, customer_id: int) -> Customer:
        """One customer by id (:class:`NotFoundError` when it does not exist)."""
        return await self._get_one(TypeAdapter(Customer), f"customers/{int(customer_id)}")

    async def list_services(self) -> list[Service]:
        """Every service (all pages)."""
        return [
            s async for page in self._iter_all("services", SERVICES, {"sort": DEFAULT_SORT}) for s in page
        ]

    async def get_service(self, service_id: int) -> Service:
        """One service by id."""
        return await self._get_one(TypeAdapter(Service), f"services/{int(service_id)}")

    async def list_providers(self) -> list[Provider]:
        """Every provider (all pages)."""
        return [
            p async for page in self._iter_all("providers", PROVIDERS, {"sort": DEFAULT_SORT}) for p in page
        ]

    async def get_provider(self, provider_id: int) -> Provider:
        """One provider by id."""
        return await self._get_one(TypeAdapter(Provider), f"providers/{int(provider_id)}")

    async def test_connection(self) -> None:
        """One cheap authenticated request; raises :class:`AuthenticationError` etc. on failure."""
        await self._http.get_json("services", params={"page": 1, "length": 1, "sort": DEFAULT_SORT})


def _bare_list(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise TypeError(f"expected a bare JSON array, got {type(body).__name__}")
    return body
