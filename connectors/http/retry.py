"""The retry policy and the one retry loop, used by raw HTTP and by SDK calls alike.

Connect errors, timeouts, 408/429/5xx; honours ``Retry-After`` (seconds, HTTP date or ISO
datetime) and the vendors' reset headers (:mod:`connectors.http.status`); capped exponential
backoff with jitter; bounded in attempts and in total time; a 429 without any hint waits by
the provider's known rate-limit window; never retries a non-idempotent request unless the
caller says it is safe (a connect error, where nothing was sent, is always safe). Long waits
are logged and one run's rate-limit waiting is capped per provider (:mod:`connectors.http.waits`).

:func:`call_with_policy` is the loop: :class:`~connectors.http.HttpClient` runs each request
through it, and SDK-based connectors (Brevo, Claude) run each SDK call through it with the
SDK's own retries off.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from connectors.http.errors import ConnectorError, RateLimitError, ServerError, WaitCapReached
from connectors.http.limiter import RateLimiter
from connectors.http.waits import before_wait

log = logging.getLogger("connectors.http")

T = TypeVar("T")
#: Maps an exception a call raised to a :class:`ConnectorError`, or None to let it propagate.
Convert = Callable[[Exception], ConnectorError | None]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry. One policy object per provider.

    ``rate_limit_window`` is the provider's known window for a 429 that carries no
    hint: waits grow from an eighth of it to the whole window, so an extraction
    survives a full window instead of giving up after a few short backoffs. None: the
    provider has no known window (Anthropic), such a 429 backs off like an error and
    counts as an attempt. A hinted wait (``Retry-After``) is cut to ``max_hinted_wait``
    when set, and gets up to ``hint_jitter`` seconds added.
    """

    max_attempts: int = 6
    max_total_seconds: float = 600.0
    base_delay: float = 0.5
    max_delay: float = 60.0
    jitter: float = 0.2
    rate_limit_window: float | None = 60.0
    max_rate_limit_waits: int = 6
    retry_statuses: frozenset[int] = RETRY_STATUSES
    max_hinted_wait: float | None = None
    hint_jitter: float = 0.1

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with jitter for retry number ``attempt`` (1-based), never over ``max_delay``."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return min(self.max_delay, raw * (1 + self.jitter * (2 * rng.random() - 1)))

    def rate_limit_wait(self, wait_number: int, rng: random.Random) -> float:
        """Wait for the ``wait_number``-th 429 without a hint (1-based)."""
        window = self.rate_limit_window if self.rate_limit_window is not None else self.max_delay
        raw = min(window, window / 8 * 2.0 ** (wait_number - 1))
        return raw * (1 + self.jitter * rng.random())

    def hinted(self, seconds: float, rng: random.Random) -> float:
        """The wait for a provider's ``Retry-After`` of ``seconds`` (capped, with a little jitter)."""
        if self.max_hinted_wait is not None:
            seconds = min(seconds, self.max_hinted_wait)
        return seconds + rng.random() * self.hint_jitter


@dataclass
class CallStats:
    """Requests sent by one client, by outcome; read by flows for their summaries."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    #: Seconds waited on rate limits so far (bounded per provider, see :mod:`connectors.http.waits`).
    waited: float = 0.0
    by_path: dict[str, int] = field(default_factory=dict)

    def sent(self, path: str) -> None:
        """Count one request (attempt) to ``path``."""
        self.requests += 1
        self.by_path[path] = self.by_path.get(path, 0) + 1


def bounded_wait(failure: ConnectorError, delay: float, stats: CallStats, provider: str) -> None:
    """Count and announce a wait about to start; raise :class:`WaitCapReached` if over the run's cap."""
    refusal = before_wait(
        failure, delay, stats, provider=provider, rate_limited=isinstance(failure, RateLimitError)
    )
    if refusal is not None:
        raise WaitCapReached(
            refusal, provider=provider, method=failure.method, path=failure.path, status=failure.status
        ) from failure


# --------------------------------------------------------------------------- the loop


@dataclass
class _Attempts:
    """One logical call's progress through the policy."""

    policy: RetryPolicy
    safe: bool
    rng: random.Random
    started: float = field(default_factory=time.monotonic)
    number: int = 0
    rate_waits: int = 0

    def delay(self, failure: ConnectorError, *, sent: bool) -> float | None:
        """Seconds to wait before the next attempt after ``failure``, or None to give up."""
        policy = self.policy
        if isinstance(failure, RateLimitError):
            # A 429 means the request was refused, not performed: safe to retry for any method.
            if failure.retry_after is not None:
                return policy.hinted(failure.retry_after, self.rng)
            if policy.rate_limit_window is None:
                return policy.backoff(self.number, self.rng)
            if self.rate_waits >= policy.max_rate_limit_waits:
                return None
            self.rate_waits += 1
            return policy.rate_limit_wait(self.rate_waits, self.rng)
        unanswered = failure.status is None and isinstance(failure, ServerError)
        if not unanswered and (failure.status == 429 or failure.status not in policy.retry_statuses):
            return None
        if sent and not self.safe:
            return None
        if failure.retry_after is not None:
            return policy.hinted(failure.retry_after, self.rng)
        return policy.backoff(self.number, self.rng)

    def give_up(self, failure: ConnectorError, delay: float) -> bool:
        """Whether to raise ``failure`` rather than wait ``delay`` s: out of attempts or of time.

        Out of time on a rate limit, the error's ``retry_after`` says how long the wait would have been.
        """
        if self.number >= self.policy.max_attempts + self.rate_waits:
            return True
        if time.monotonic() - self.started + delay <= self.policy.max_total_seconds:
            return False
        if isinstance(failure, RateLimitError):
            failure.retry_after = delay
        return True


def _failure(
    exc: Exception, convert: Convert | None, provider: str, method: str, path: str
) -> tuple[ConnectorError, bool] | None:
    """``exc`` as a :class:`ConnectorError`, and whether the request may have reached the provider."""
    if isinstance(exc, ConnectorError):
        return exc, True
    if isinstance(exc, _NOT_SENT):
        message = f"could not connect ({type(exc).__name__})"
        return ServerError(message, provider=provider, method=method, path=path), False
    if isinstance(exc, httpx.TransportError):
        message = f"connection failed mid-request ({type(exc).__name__})"
        return ServerError(message, provider=provider, method=method, path=path), True
    converted = convert(exc) if convert is not None else None
    return None if converted is None else (converted, True)


async def call_with_policy(
    call: Callable[[], Awaitable[T]],
    *,
    provider: str,
    method: str,
    path: str,
    policy: RetryPolicy,
    convert: Convert | None = None,
    idempotent: bool | None = None,
    limiter: RateLimiter | None = None,
    stats: CallStats | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run ``call`` (a factory making one attempt: one HTTP request, one SDK call) under ``policy``.

    A :class:`ConnectorError` the call raises is the failure as is; ``convert`` maps other
    exceptions (an SDK's) to one, or returns None to let them propagate unchanged. Connect
    errors are always retried; other transport errors, 408 and 5xx only when the call is
    idempotent (``idempotent`` defaults from ``method``); a 429 is always retried, waiting its
    ``retry_after`` when the provider gave one, else the policy's rate-limit waits. ``stats``
    counts requests, retries and 429s under ``path`` and bounds the run's rate-limit waiting.
    The error finally raised carries the number of ``attempts`` made.
    """
    safe = idempotent if idempotent is not None else method.upper() in IDEMPOTENT_METHODS
    attempts = _Attempts(policy, safe, rng or random.Random())
    while True:
        attempts.number += 1
        if limiter is not None:
            await limiter.acquire()
        if stats is not None:
            stats.sent(path)
        try:
            return await call()
        except Exception as exc:
            found = _failure(exc, convert, provider, method, path)
            if found is None:
                raise
            failure, sent = found
            failure.attempts = attempts.number
            if isinstance(failure, RateLimitError) and stats is not None:
                stats.rate_limited += 1
            delay = attempts.delay(failure, sent=sent)
            if delay is None or attempts.give_up(failure, delay):
                if failure is exc:
                    raise
                raise failure from exc
        if stats is not None:
            bounded_wait(failure, delay, stats, provider)
            stats.retries += 1
        log.info("%s; retrying in %.1f s (attempt %d)", failure, delay, attempts.number + 1)
        await sleep(delay)
