"""The Brevo client's core: the SDK, our HTTP client, limiters, and one call under the retry policy."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Self, TypeVar

import httpx
from brevo import AsyncBrevo
from brevo.core.request_options import RequestOptions

from connectors.brevo.errors import PROVIDER, convert_api_error
from connectors.brevo.settings import BrevoSettings
from connectors.http import CallStats, RateLimiter, RetryPolicy, call_with_policy, shared_limiter

T = TypeVar("T")
NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}


class BrevoBase:
    """Shared state of :class:`connectors.brevo.BrevoClient` (see there).

    ``client`` injects an ``httpx.AsyncClient`` (handed to the SDK as ``httpx_client``;
    not closed here). ``retry`` overrides the policy; ``sleep`` the waiting (tests).
    """

    def __init__(
        self,
        settings: BrevoSettings,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy(rate_limit_window=1.0, max_total_seconds=900.0)
        self.stats = CallStats()
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._owns_client = client is None
        self._http = client or httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout, connect=10.0))
        key = settings.api_key.get_secret_value()
        self.sdk = AsyncBrevo(
            api_key=key,
            base_url=settings.api_url.rstrip("/"),
            httpx_client=self._http,
            timeout=settings.timeout,
            max_retries=0,
            client_id=None,
            client_secret=None,
        )
        (contacts, contact_windows), (unlisted, unlisted_windows) = settings.budgets().items()
        self._contacts_limiter: RateLimiter = shared_limiter(contacts, contact_windows)
        self._unlisted_limiter: RateLimiter = shared_limiter(unlisted, unlisted_windows)
        self._list_ids: dict[str, int] = {}
        self._folder_id: int | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        call: Callable[[], Awaitable[T]],
        *,
        idempotent: bool | None = None,
        limiter: RateLimiter | None = None,
    ) -> T:
        return await call_with_policy(
            call,
            provider=PROVIDER,
            method=method,
            path=path,
            convert=convert_api_error(method, path),
            policy=self.retry,
            idempotent=idempotent,
            limiter=self._contacts_limiter if limiter is None else limiter,
            stats=self.stats,
            sleep=self._sleep,
            rng=self._rng,
        )
