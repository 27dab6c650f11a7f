"""The Zoom client's core: one ``HttpClient`` per rate category, the budgets, listing and parsing.

:class:`ZoomBase` holds what every Zoom call needs; :class:`connectors.zoom.ZoomClient` adds the
endpoints. Per-category budgets by plan (api-notes §3) are shared by every client of the
account in the process (:func:`zoom_limiter`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

import httpx
from pydantic import BaseModel, ValidationError

from connectors.http import (
    CallStats,
    ClientError,
    HttpClient,
    NextPageTokenPaginator,
    RateLimiter,
    ResponseValidationError,
    RetryPolicy,
    iter_pages,
    shared_limiter,
)
from connectors.zoom.auth import ZoomS2SAuth
from connectors.zoom.settings import Plan, ZoomSettings

log = logging.getLogger("connectors.zoom.client")

PROVIDER = "zoom"
Category = Literal["light", "medium", "heavy"]
DAY = 86_400.0
#: Per-category budgets by plan (api-notes §3). Heavy shares its daily pool with resource-intensive.
PLAN_BUDGETS: dict[str, dict[Category, list[tuple[int, float]]]] = {
    "free": {
        "light": [(4, 1.0), (6_000, DAY)],
        "medium": [(2, 1.0), (2_000, DAY)],
        "heavy": [(1, 1.0), (1_000, DAY)],
    },
    "pro": {"light": [(30, 1.0)], "medium": [(20, 1.0)], "heavy": [(10, 1.0), (30_000, DAY)]},
    "business": {"light": [(80, 1.0)], "medium": [(60, 1.0)], "heavy": [(40, 1.0), (60_000, DAY)]},
}
#: Zoom's "next page token is invalid or expired" (also used for other validation errors).
PAGE_TOKEN_ERROR = "300"


def zoom_limiter(plan: Plan, category: Category) -> RateLimiter:
    """The process-wide limiter for one rate category (limits are per account, shared by every app)."""
    return shared_limiter(f"zoom:{category}", PLAN_BUDGETS[plan][category])


def zoom_retry() -> RetryPolicy:
    """Retry policy: a QPS 429 without a reset header waits by the one-second window."""
    return RetryPolicy(rate_limit_window=1.0, max_rate_limit_waits=8)


class ZoomBase:
    """Zoom v2 for one account. Use as an async context manager.

    ``auth`` is normally a :class:`ZoomS2SAuth`; ``client`` injects an ``httpx.AsyncClient``
    (not closed here); ``reports`` says whether report endpoints exist (None = find out).
    """

    def __init__(
        self,
        auth: httpx.Auth,
        *,
        base_url: str = "https://api.zoom.us/v2",
        user_id: str = "me",
        users: Sequence[str] | None = None,
        plan: Plan = "pro",
        reports: bool | None = None,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 300,
        timeout: float = 30.0,
    ) -> None:
        self.user_id = user_id
        self.users = list(users) if users is not None else None
        self.plan = plan
        self.reports = reports
        self._page_size = page_size
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        policy = retry or zoom_retry()
        self._http: dict[Category, HttpClient] = {
            category: HttpClient(
                PROVIDER,
                base_url,
                auth=auth,
                retry=policy,
                limiter=zoom_limiter(plan, category),
                client=self._client,
            )
            for category in ("light", "medium", "heavy")
        }

    @classmethod
    def from_settings(
        cls,
        settings: ZoomSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
    ) -> Self:
        """A client configured from :class:`ZoomSettings` (the environment by default)."""
        settings = settings or ZoomSettings()
        if not (settings.account_id and settings.client_id and settings.client_secret):
            raise ValueError("ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET must be set")
        auth = ZoomS2SAuth(
            account_id=settings.account_id,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_url=settings.oauth_url,
        )
        return cls(
            auth,
            base_url=settings.api_url,
            user_id=settings.user_id,
            users=settings.host_list(),
            plan=settings.plan,
            reports=settings.reports,
            client=client,
            retry=retry,
            page_size=settings.page_size,
            timeout=settings.timeout,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    @property
    def stats(self) -> CallStats:
        """Requests sent so far, all categories together."""
        total = CallStats()
        for http in self._http.values():
            total.requests += http.stats.requests
            total.retries += http.stats.retries
            total.rate_limited += http.stats.rate_limited
            for path, count in http.stats.by_path.items():
                total.by_path[path] = total.by_path.get(path, 0) + count
        return total

    # ------------------------------------------------------------------ helpers

    def _parse(self, model: type[BaseModel], data: Any, path: str) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ResponseValidationError(
                f"unexpected {model.__name__} shape: {first['loc']} {first['msg']}",
                provider=PROVIDER,
                path=path,
            ) from exc

    async def _get(self, category: Category, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._http[category].get_json(path, params=params)

    async def _collect(
        self, category: Category, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Every row of a ``next_page_token`` listing; restarts once if a token expired mid-crawl."""
        for attempt in (1, 2):
            rows: list[Any] = []
            pages = 0
            try:
                async for page in iter_pages(
                    self._http[category],
                    path,
                    NextPageTokenPaginator(PROVIDER, page_size=self._page_size),
                    items=lambda body: body.get(key) or [],
                    params=dict(params or {}),
                ):
                    pages += 1
                    rows.extend(page)
                return rows
            except ClientError as exc:
                if exc.code != PAGE_TOKEN_ERROR or pages == 0 or attempt == 2:
                    raise
                log.warning(
                    "zoom: next_page_token expired after %d pages of %s; reading it again", pages, path
                )
        raise AssertionError("unreachable")
