"""The retry policy: which failures are retried, how long to wait, and the one retry loop.

Connect errors, timeouts, 408/429/5xx; honours ``Retry-After`` (seconds, HTTP date or ISO
datetime) and the vendors' reset headers; capped exponential backoff with jitter; bounded in
attempts and in total time; a 429 without any hint waits by the provider's known rate-limit
window; never retries a non-idempotent request unless the caller says it is safe (a connect
error, where nothing was sent, is always safe). Long waits are logged and one run's rate-limit
waiting is capped per provider (:mod:`connectors.http.waits`).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from connectors.http.errors import ConnectorError, RateLimitError, ServerError, WaitCapReached
from connectors.http.limiter import RateLimiter
from connectors.http.waits import before_wait

log = logging.getLogger("connectors.http")

T = TypeVar("T")


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


@dataclass
class CallStats:
    """Requests sent by one client, by outcome; read by flows for their summaries."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    #: Seconds waited on rate limits so far (bounded per provider, see :mod:`connectors.http.waits`).
    waited: float = 0.0
    by_path: dict[str, int] = field(default_factory=dict)


def bounded_wait(failure: ConnectorError, delay: float, stats: CallStats, provider: str) -> None:
    """Count and announce a wait about to start; raise :class:`WaitCapReached` if over the run's cap."""
    refusal = before_wait(
        failure, delay, stats, provider=provider, rate_limited=isinstance(failure, RateLimitError)
    )
    if refusal is not None:
        raise WaitCapReached(
            refusal, provider=provider, method=failure.method, path=failure.path, status=failure.status
        ) from failure


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
            bounded_wait(failure, delay, stats, provider)
            stats.retries += 1
        log.info("%s; retrying in %.1f s (attempt %d)", failure, delay, attempt + 1)
        await sleep(delay)
