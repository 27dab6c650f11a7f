"""Zoom Server-to-Server OAuth as an ``httpx.Auth``: one cached token per process.

The token is fetched with ``grant_type=account_credentials`` (Basic client id:secret), cached
per (token URL, account, client), refreshed shortly before it expires, and again when an API call answers
401 with Zoom's invalid/expired-token code (at most twice for one request). The secret never appears in logs,
reprs or errors.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from connectors.http import AuthenticationError, RateLimitError, ServerError, error_class, parse_retry_after

log = logging.getLogger(__name__)

PROVIDER = "zoom"
#: Zoom's code for an invalid or expired access token.
INVALID_TOKEN_CODE = 124
#: New tokens tried for one request answered "invalid token": a fresh token refused again
#: means the app lost access, not that the token aged.
MAX_REFRESHES = 2


@dataclass
class _Token:
    value: str
    expires_at: float


_TOKENS: dict[tuple[str, str, str], _Token] = {}
#: One lock per credentials and event loop, so concurrent callers fetch one token between them.
_LOCKS: dict[tuple[tuple[str, str, str], int], asyncio.Lock] = {}


def clear_token_cache() -> None:
    """Forget every cached token (tests; credential rotation)."""
    _TOKENS.clear()


class ZoomS2SAuth(httpx.Auth):
    """Bearer auth with a Server-to-Server OAuth token, fetched and refreshed as needed."""

    requires_response_body = True

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: SecretStr,
        token_url: str = "https://zoom.us/oauth/token",
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (account_id and client_id and client_secret.get_secret_value()):
            raise ValueError("ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET are required")
        self.account_id = account_id
        self.client_id = client_id
        self._secret = client_secret
        self.token_url = token_url
        self.refresh_margin = refresh_margin
        self._clock = clock
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"ZoomS2SAuth(account_id={self.account_id!r}, client_id={self.client_id!r})"

    @property
    def _key(self) -> tuple[str, str, str]:
        return (self.token_url, self.account_id, self.client_id)

    def _cached(self) -> str | None:
        token = _TOKENS.get(self._key)
        if token is not None and self._clock() < token.expires_at:
            return token.value
        return None

    def _invalidate(self, value: str) -> None:
        token = _TOKENS.get(self._key)
        if token is not None and token.value == value:
            del _TOKENS[self._key]

    def _token_request(self) -> httpx.Request:
        basic = base64.b64encode(f"{self.client_id}:{self._secret.get_secret_value()}".encode()).decode()
        return httpx.Request(
            "POST",
            self.token_url,
            params={"grant_type": "account_credentials", "account_id": self.account_id},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )

    def _store(self, response: httpx.Response) -> str:
        if not response.is_success:
            try:
                body = response.json()
                reason = str(body.get("reason") or body.get("error") or "")
            except ValueError:
                reason = response.text[:120]
            # Zoom down or busy is worth another try; any other refusal means the credentials.
            kind = error_class(response.status_code)
            if kind not in (ServerError, RateLimitError):
                kind = AuthenticationError
            raise kind(
                f"could not get a Server-to-Server OAuth token: {reason or response.reason_phrase}",
                provider=PROVIDER,
                method="POST",
                path="/oauth/token",
                status=response.status_code,
                retry_after=parse_retry_after(response.headers),
            )
        try:
            body = response.json()
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthenticationError(
                "the token endpoint answered without an access_token", provider=PROVIDER, path="/oauth/token"
            ) from exc
        # Refresh a minute early, or a tenth of the lifetime when tokens are short-lived.
        margin = min(self.refresh_margin, lifetime / 10)
        _TOKENS[self._key] = _Token(value, self._clock() + lifetime - margin)
        self.tokens_fetched += 1
        log.info("zoom: fetched a Server-to-Server token valid for %.0f s", lifetime)
        return value

    @staticmethod
    def _is_invalid_token(response: httpx.Response) -> bool:
        if response.status_code != 401:
            return False
        try:
            body = response.json()
        except ValueError:
            return True
        return isinstance(body, dict) and body.get("code") in (INVALID_TOKEN_CODE, str(INVALID_TOKEN_CODE))

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """The flow for synchronous clients (no lock needed: one thread per client)."""
        token = self._cached()
        if token is None:
            response = yield self._token_request()
            response.read()
            token = self._store(response)
        for refresh in range(MAX_REFRESHES + 1):
            request.headers["Authorization"] = f"Bearer {token}"
            response = yield request
            if response.status_code == 401:
                response.read()
            if refresh == MAX_REFRESHES or not self._is_invalid_token(response):
                return
            self._invalidate(token)
            fresh = yield self._token_request()
            fresh.read()
            token = self._store(fresh)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Attach the cached token (fetching it once for concurrent callers); refresh once on 401 124."""
        lock = _LOCKS.setdefault((self._key, id(asyncio.get_running_loop())), asyncio.Lock())
        token = self._cached()
        if token is None:
            async with lock:
                token = self._cached()
                if token is None:
                    response = yield self._token_request()
                    await response.aread()
                    token = self._store(response)
        for refresh in range(MAX_REFRESHES + 1):
            request.headers["Authorization"] = f"Bearer {token}"
            response = yield request
            if response.status_code == 401:
                await response.aread()
            if refresh == MAX_REFRESHES or not self._is_invalid_token(response):
                return
            async with lock:
                self._invalidate(token)
                fresh = self._cached()
                if fresh is None:
                    reply = yield self._token_request()
                    await reply.aread()
                    fresh = self._store(reply)
            token = fresh
