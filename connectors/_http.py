"""The one HTTP mechanism every connector uses.

- :class:`HttpClient`: an async client bound to one provider (base URL, auth, timeouts,
  an injectable ``httpx.AsyncClient``), which sends every request through the retry
  policy and the provider's shared rate limiter and turns failures into
  :class:`ConnectorError` subclasses carrying provider, method, path, status and request id.
- :class:`RetryPolicy`: connect errors, timeouts, 408/429/5xx; honours ``Retry-After``
  (seconds, HTTP date or ISO datetime) and the vendors' reset headers; capped exponential
  backoff with jitter; bounded in attempts and in total time; a 429 without any hint waits
  by the provider's known rate-limit window; never retries a non-idempotent request unless
  the caller says it is safe (a connect error, where nothing was sent, is always safe).
  Long waits are logged and one run's rate-limit waiting is capped per provider
  (:mod:`connectors._waits`).
- :class:`RateLimiter`: per-provider request budgets (N per T seconds), shared by every
  client of that provider in the process.
- Paginators: page/length (EasyAppointments), continuation (Eventbrite),
  next_page_token (Zoom), driven by :func:`iter_pages`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import httpx

from connectors._waits import announce, before_wait

log = logging.getLogger(__name__)

JSON = Any
Params = dict[str, Any]
T = TypeVar("T")


# --------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """A call to an outside service failed; says which call and why, in plain words."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        method: str = "",
        path: str = "",
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.method = method
        self.path = path
        self.status = status
        self.request_id = request_id
        self.code = code
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f" answered {self.status}" if self.status is not None else ""
        code = f" [{self.code}]" if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.provider}: {where}{status}{code}: {self.message}{rid}"


class AuthenticationError(ConnectorError):
    """Credentials missing, wrong or expired (401/403, or the provider's auth error codes)."""


class NotFoundError(ConnectorError):
    """The resource does not exist (404)."""


class RateLimitError(ConnectorError):
    """The provider's rate limit was hit and waiting would exceed the retry budget."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class WaitCapReached(RateLimitError):
    """A rate-limit wait would pass this run's allowance for the provider (see :mod:`connectors._waits`)."""


class ServerError(ConnectorError):
    """The provider failed (5xx) or could not be reached, after every allowed retry."""


class ClientError(ConnectorError):
    """The provider refused the request as invalid (other 4xx)."""


class ResponseValidationError(ConnectorError):
    """The provider answered 2xx with a body that is not what its contract says."""


# --------------------------------------------------------------------------- retry policy

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait according to the response headers, or None when they give no hint.

    Understands ``Retry-After`` as seconds, as an HTTP date or as an ISO-8601 datetime
    (Zoom's daily limit), ``retry-after-ms``, and reset headers counting seconds
    (``x-sib-ratelimit-reset`` for Brevo, ``X-RateLimit-Reset`` as seconds or epoch).
    """
    now = time.time() if now is None else now
    lower = {k.lower(): v for k, v in headers.items()}
    if (ms := lower.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (value := lower.get("retry-after")) is not None:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        moment: datetime | None = None
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(0.0, moment.timestamp() - now)
    for name in ("x-sib-ratelimit-reset", "x-ratelimit-reset"):
        if (value := lower.get(name)) is not None:
            try:
                number = float(value)
            except ValueError:
                continue
            # Large values are epoch seconds, small ones a countdown.
            return max(0.0, number - now) if number > 1_000_000_000 else max(0.0, number)
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry. One policy object per provider.

    ``rate_limit_window`` is the provider's known window for a 429 that carries no
    hint: waits grow from an eighth of it to the whole window, so an extraction
    survives a full window instead of giving up after a few short backoffs.
    """

    max_attempts: int = 6
    max_total_seconds: float = 600.0
    base_delay: float = 0.5
    max_delay: float = 60.0
    jitter: float = 0.2
    rate_limit_window: float = 60.0
    max_rate_limit_waits: int = 6
    retry_statuses: frozenset[int] = RETRY_STATUSES

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Capped exponential backoff with jitter for retry number ``attempt`` (1-based)."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return raw * (1 + self.jitter * (2 * rng.random() - 1))

    def rate_limit_wait(self, wait_number: int, rng: random.Random) -> float:
        """Wait for the ``wait_number``-th 429 without a hint (1-based)."""
        raw = min(self.rate_limit_window, self.rate_limit_window / 8 * 2.0 ** (wait_number - 1))
        return raw * (1 + self.jitter * rng.random())


# --------------------------------------------------------------------------- rate limiter


@dataclass
class RateLimiter:
    """Request budgets (``(count, seconds)`` pairs) that every caller awaits before a request.

    A sliding-window log per budget: a request may go when, in every budget, fewer than
    ``count`` requests were sent in the last ``seconds``.
    """

    budgets: Sequence[tuple[int, float]]
    clock: Callable[[], float] = time.monotonic
    _sent: list[deque[float]] = field(init=False, repr=False)
    _lock: asyncio.Lock | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._sent = [deque() for _ in self.budgets]

    def _delay(self, now: float) -> float:
        wait = 0.0
        for (count, seconds), sent in zip(self.budgets, self._sent, strict=True):
            while sent and now - sent[0] >= seconds:
                sent.popleft()
            if len(sent) >= count:
                wait = max(wait, seconds - (now - sent[0]))
        return wait

    async def acquire(self) -> None:
        """Wait until every budget allows one more request, then count it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while (wait := self._delay(self.clock())) > 0:
                announce("request budget", wait, f"{_budgets_text(self.budgets)} used up")
                await asyncio.sleep(wait)
            now = self.clock()
            for sent in self._sent:
                sent.append(now)


def _budgets_text(budgets: Sequence[tuple[int, float]]) -> str:
    return " and ".join(f"{count} requests per {seconds:g} s" for count, seconds in budgets)


_LIMITERS: dict[str, RateLimiter] = {}
#: Turns a process-wide limiter into one shared beyond this process (installed by the callers of
#: connectors, e.g. Prefect global concurrency limits); None: budgets are per process.
BudgetSharing = Callable[[str, RateLimiter], RateLimiter]
_sharing: BudgetSharing | None = None


def share_budgets(sharing: BudgetSharing | None) -> None:
    """Make every limiter :func:`shared_limiter` creates from now on go through ``sharing`` (None: off).

    Connectors stay unaware of who shares their budgets; the process's entry point decides.
    """
    global _sharing
    if sharing is not _sharing:
        _sharing = sharing
        _LIMITERS.clear()


def shared_limiter(key: str, budgets: Sequence[tuple[int, float]]) -> RateLimiter:
    """The process-wide limiter for ``key`` (e.g. ``"easyappointments"``), created once."""
    limiter = _LIMITERS.get(key)
    if limiter is None or list(limiter.budgets) != list(budgets):
        limiter = RateLimiter(budgets=list(budgets))
        limiter = _LIMITERS[key] = _sharing(key, limiter) if _sharing is not None else limiter
    return limiter


# --------------------------------------------------------------------------- client

ErrorParser = Callable[[httpx.Response], tuple[str | None, str]]


def default_error_parser(response: httpx.Response) -> tuple[str | None, str]:
    """``(code, message)`` from a JSON error body with common field names, else the text."""
    text = response.text.strip()
    try:
        body = response.json()
    except ValueError:
        return None, text[:300] or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = err.get("type") or err.get("code")
            return (str(code) if code else None), str(err.get("message") or text[:300])
        code = body.get("code") if body.get("code") is not None else err
        message = (
            body.get("message")
            or body.get("error_description")
            or body.get("error_message")
            or (err if isinstance(err, str) else None)
            or text[:300]
        )
        return (str(code) if code is not None else None), str(message)
    return None, text[:300]


@dataclass
class CallStats:
    """Requests sent by one client, by outcome; read by flows for their summaries."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    #: Seconds waited on rate limits so far (bounded per provider, see :mod:`connectors._waits`).
    waited: float = 0.0
    by_path: dict[str, int] = field(default_factory=dict)


class HttpClient:
    """An async HTTP client for one provider, with the retry policy and rate limiter applied.

    Use as an async context manager; pass ``client=`` to share or inject an
    ``httpx.AsyncClient`` (then it is not closed here).
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        client: httpx.AsyncClient | None = None,
        error_parser: ErrorParser = default_error_parser,
        auth_error_codes: frozenset[str] = frozenset(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        seed: int | None = None,
    ) -> None:
        self.provider = provider
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.stats = CallStats()
        self._error_parser = error_parser
        self._auth_error_codes = auth_error_codes
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        self._base_url = base_url.rstrip("/")
        self._auth = auth
        self._headers = dict(headers or {})

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    def url(self, path: str) -> str:
        """Absolute URL for ``path`` below the base URL."""
        return path if path.startswith(("http://", "https://")) else f"{self._base_url}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        """Send one logical request, retrying per the policy; return a 2xx response or raise.

        ``idempotent`` defaults to True for GET/HEAD/OPTIONS/PUT/DELETE; pass True for a
        POST the provider treats idempotently. Raises a :class:`ConnectorError` subclass.
        """
        method = method.upper()
        safe = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        policy = self.retry
        started = time.monotonic()
        attempt = 0
        rate_waits = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                await self.limiter.acquire()
            self.stats.requests += 1
            self.stats.by_path[path] = self.stats.by_path.get(path, 0) + 1
            delay: float | None
            failure: ConnectorError
            try:
                response = await self._client.request(
                    method,
                    self.url(path),
                    params=_clean(params),
                    json=json,
                    data=data,
                    headers={**self._headers, **(headers or {})},
                    auth=auth or self._auth or httpx.USE_CLIENT_DEFAULT,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached the server: always safe to retry.
                failure = ServerError(
                    f"could not connect ({type(exc).__name__})",
                    provider=self.provider,
                    method=method,
                    path=path,
                )
                delay = policy.backoff(attempt, self._rng)
            except httpx.TransportError as exc:
                failure = ServerError(
                    f"connection failed mid-request ({type(exc).__name__})",
                    provider=self.provider,
                    method=method,
                    path=path,
                )
                delay = policy.backoff(attempt, self._rng) if safe else None
            else:
                if response.is_success:
                    return response
                failure = self._error_for(response, method, path)
                delay = self._retry_delay(response, attempt, rate_waits, safe)
                if response.status_code == 429:
                    self.stats.rate_limited += 1
                    if parse_retry_after(response.headers) is None:
                        rate_waits += 1
            elapsed = time.monotonic() - started
            if delay is None or attempt >= policy.max_attempts + rate_waits:
                raise failure
            if elapsed + delay > policy.max_total_seconds:
                if isinstance(failure, RateLimitError):
                    failure.retry_after = delay
                raise failure
            _bounded_wait(failure, delay, self.stats, self.provider)
            self.stats.retries += 1
            log.info("%s; retrying in %.1f s (attempt %d)", failure, delay, attempt + 1)
            await self._sleep(delay)

    async def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> JSON:
        """GET ``path`` and decode its JSON body (ResponseValidationError when it is not JSON)."""
        response = await self.request("GET", path, params=params)
        return self.decode(response, "GET", path)

    def decode(self, response: httpx.Response, method: str, path: str) -> JSON:
        """Decode a response's JSON body or raise :class:`ResponseValidationError`."""
        try:
            return response.json()
        except ValueError as exc:
            raise ResponseValidationError(
                f"expected JSON, got {response.headers.get('content-type', 'no content type')}: "
                f"{response.text[:120]!r}",
                provider=self.provider,
                method=method,
                path=path,
                status=response.status_code,
            ) from exc

    def _retry_delay(
        self, response: httpx.Response, attempt: int, rate_waits: int, safe: bool
    ) -> float | None:
        status = response.status_code
        if status not in self.retry.retry_statuses:
            return None
        if status == 429:
            # A 429 means the request was refused, not performed: safe to retry for any method.
            hinted = parse_retry_after(response.headers)
            if hinted is not None:
                return hinted + self._rng.random() * 0.1
            if rate_waits >= self.retry.max_rate_limit_waits:
                return None
            return self.retry.rate_limit_wait(rate_waits + 1, self._rng)
        if not safe:
            return None
        hinted = parse_retry_after(response.headers)
        return hinted if hinted is not None else self.retry.backoff(attempt, self._rng)

    def _error_for(self, response: httpx.Response, method: str, path: str) -> ConnectorError:
        code, message = self._error_parser(response)
        status = response.status_code
        kw: dict[str, Any] = {
            "provider": self.provider,
            "method": method,
            "path": path,
            "status": status,
            "request_id": _request_id(response.headers),
            "code": code,
        }
        if status in (401, 403) or (code is not None and code in self._auth_error_codes):
            return AuthenticationError(message or "not authorized", **kw)
        if status == 404:
            return NotFoundError(message or "not found", **kw)
        if status == 429:
            return RateLimitError(
                message or "rate limit reached", retry_after=parse_retry_after(response.headers), **kw
            )
        if status >= 500:
            return ServerError(message or "server error", **kw)
        return ClientError(message or "request refused", **kw)


def _bounded_wait(failure: ConnectorError, delay: float, stats: CallStats, provider: str) -> None:
    """Count and announce a wait about to start; raise :class:`WaitCapReached` if over the run's cap."""
    refusal = before_wait(
        failure, delay, stats, provider=provider, rate_limited=isinstance(failure, RateLimitError)
    )
    if refusal is not None:
        raise WaitCapReached(
            refusal, provider=provider, method=failure.method, path=failure.path, status=failure.status
        ) from failure


def _request_id(headers: httpx.Headers) -> str | None:
    for name in ("x-request-id", "request-id", "x-zm-trackingid", "x-eventbrite-request-id", "cf-ray"):
        if value := headers.get(name):
            return str(value)
    return None


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}


# --------------------------------------------------------------------------- pagination


class PaginationError(ConnectorError):
    """The provider's pagination misbehaved (e.g. the same cursor twice)."""


class Paginator(Protocol):
    """Strategy for walking pages: the first request's params and the next, or None to stop."""

    def first(self, params: Params) -> Params:
        """Params for the first page."""
        ...

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        """Params for the page after ``body``, or None when ``body`` was the last one."""
        ...


@dataclass
class PageNumberPaginator:
    """``page``/``length`` paging that stops on a short page (EasyAppointments: bare arrays)."""

    size: int
    page_param: str = "page"
    size_param: str = "length"
    first_page: int = 1

    def first(self, params: Params) -> Params:
        return {**params, self.page_param: self.first_page, self.size_param: self.size}

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        if len(items) < self.size:
            return None
        return {**params, self.page_param: int(params[self.page_param]) + 1}


@dataclass
class _CursorPaginator:
    provider: str
    seen: set[str] = field(default_factory=set)

    def _advance(self, params: Params, name: str, token: str) -> Params:
        if token in self.seen:
            raise PaginationError(
                f"the same {name} came back twice; stopping instead of looping", provider=self.provider
            )
        self.seen.add(token)
        return {**params, name: token}


@dataclass
class ContinuationPaginator(_CursorPaginator):
    """Eventbrite: stop on ``pagination.has_more_items == false`` (a continuation still comes)."""

    def first(self, params: Params) -> Params:
        self.seen.clear()
        return dict(params)

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        pagination = body.get("pagination") or {}
        if not pagination.get("has_more_items"):
            return None
        token = pagination.get("continuation")
        if not token:
            raise PaginationError(
                "has_more_items is true but no continuation was given", provider=self.provider
            )
        return self._advance(params, "continuation", str(token))


@dataclass
class NextPageTokenPaginator(_CursorPaginator):
    """Zoom: ``next_page_token`` with the same ``page_size`` on every page; empty token = last."""

    page_size: int = 300

    def first(self, params: Params) -> Params:
        self.seen.clear()
        params = {k: v for k, v in params.items() if k != "next_page_token"}
        return {**params, "page_size": self.page_size}

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        token = body.get("next_page_token") or ""
        if not token:
            return None
        return self._advance(params, "next_page_token", str(token))


async def iter_pages(
    client: HttpClient,
    path: str,
    paginator: Paginator,
    *,
    items: Callable[[JSON], list[Any]],
    params: Params | None = None,
) -> AsyncIterator[list[Any]]:
    """Yield each page's items for a GET on ``path``, as ``paginator`` walks the pages.

    ``items`` extracts the list of records from a page body; a body of the wrong shape
    raises :class:`ResponseValidationError`.
    """
    current: Params | None = paginator.first(dict(params or {}))
    while current is not None:
        body = await client.get_json(path, params=current)
        try:
            page = items(body)
        except (AttributeError, KeyError, TypeError) as exc:
            raise ResponseValidationError(
                f"page body has an unexpected shape ({exc})",
                provider=client.provider,
                method="GET",
                path=path,
            ) from exc
        if not isinstance(page, list):
            raise ResponseValidationError(
                f"expected a list of records, got {type(page).__name__}",
                provider=client.provider,
                method="GET",
                path=path,
            )
        yield page
        current = paginator.next(current, body, page)


# --------------------------------------------------------------------------- calls through an SDK


async def call_with_policy(
    call: Callable[[], Awaitable[T]],
    *,
    provider: str,
    method: str,
    path: str,
    convert: Callable[[Exception], ConnectorError | None],
    policy: RetryPolicy,
    idempotent: bool | None = None,
    limiter: RateLimiter | None = None,
    stats: CallStats | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run ``call`` (a factory making one attempt, e.g. one SDK call) under ``policy``.

    For SDK-based connectors (Brevo) whose SDK owns the HTTP request: turn the SDK's own
    retries off and let this decide, with the same rules as :meth:`HttpClient.request`.
    ``convert`` maps the SDK's exceptions to :class:`ConnectorError` (return None for an
    exception it does not know: it propagates unchanged). Connect errors are always
    retried; other transport errors, 408 and 5xx only when the call is idempotent
    (``idempotent`` defaults from ``method``); a 429 is always retried, waiting
    ``RateLimitError.retry_after`` when the provider gave a hint, else the policy's
    rate-limit waits. ``stats`` counts requests, retries and 429s under ``path``.
    """
    rng = rng or random.Random()
    safe = idempotent if idempotent is not None else method.upper() in IDEMPOTENT_METHODS
    started = time.monotonic()
    attempt = 0
    rate_waits = 0
    while True:
        attempt += 1
        if limiter is not None:
            await limiter.acquire()
        if stats is not None:
            stats.requests += 1
            stats.by_path[path] = stats.by_path.get(path, 0) + 1
        delay: float | None
        try:
            return await call()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            failure: ConnectorError = ServerError(
                f"could not connect ({type(exc).__name__})", provider=provider, method=method, path=path
            )
            delay = policy.backoff(attempt, rng)
        except httpx.TransportError as exc:
            failure = ServerError(
                f"connection failed mid-request ({type(exc).__name__})",
                provider=provider,
                method=method,
                path=path,
            )
            delay = policy.backoff(attempt, rng) if safe else None
        except Exception as exc:
            converted = convert(exc)
            if converted is None:
                raise
            failure = converted
            delay = None
            if isinstance(failure, RateLimitError):
                if stats is not None:
                    stats.rate_limited += 1
                if failure.retry_after is not None:
                    delay = failure.retry_after + rng.random() * 0.1
                elif rate_waits < policy.max_rate_limit_waits:
                    rate_waits += 1
                    delay = policy.rate_limit_wait(rate_waits, rng)
            elif safe and failure.status is not None and failure.status in policy.retry_statuses:
                delay = policy.backoff(attempt, rng)
            if delay is None:
                raise failure from exc
        if delay is None or attempt >= policy.max_attempts + rate_waits:
            raise failure
        if time.monotonic() - started + delay > policy.max_total_seconds:
            if isinstance(failure, RateLimitError):
                failure.retry_after = delay
            raise failure
        if stats is not None:
            _bounded_wait(failure, delay, stats, provider)
            stats.retries += 1
        log.info("%s; retrying in %.1f s (attempt %d)", failure, delay, attempt + 1)
        await sleep(delay)
