"""The HTTP client every raw-HTTP connector uses: one provider, the retry policy, its limiter.

:class:`HttpClient` is bound to one provider (base URL, auth, timeouts, an injectable
``httpx.AsyncClient``); it sends every request through the retry policy and the provider's
shared rate limiter and turns failures into :class:`ConnectorError` subclasses carrying
provider, method, path, status and request id.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from connectors.http.errors import ResponseValidationError
from connectors.http.limiter import RateLimiter
from connectors.http.retry import CallStats, RetryPolicy, call_with_policy
from connectors.http.status import status_error

JSON = Any


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

        async def send() -> httpx.Response:
            response = await self._client.request(
                method,
                self.url(path),
                params=_clean(params),
                json=json,
                data=data,
                headers={**self._headers, **(headers or {})},
                auth=auth or self._auth or httpx.USE_CLIENT_DEFAULT,
            )
            if response.is_success:
                return response
            code, message = self._error_parser(response)
            raise status_error(
                response.status_code,
                message,
                provider=self.provider,
                method=method,
                path=path,
                headers=response.headers,
                code=code,
                auth_codes=self._auth_error_codes,
            )

        return await call_with_policy(
            send,
            provider=self.provider,
            method=method,
            path=path,
            policy=self.retry,
            idempotent=idempotent,
            limiter=self.limiter,
            stats=self.stats,
            sleep=self._sleep,
            rng=self._rng,
        )

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


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}
