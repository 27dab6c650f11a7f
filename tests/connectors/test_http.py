"""The one HTTP mechanism: retry policy, error mapping, rate limiter, paginators."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.http import (
    AuthenticationError,
    ClientError,
    ContinuationPaginator,
    HttpClient,
    NextPageTokenPaginator,
    NotFoundError,
    PageNumberPaginator,
    PaginationError,
    RateLimiter,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    iter_pages,
    parse_retry_after,
)


class Sleeps:
    """A fake sleep that records requested waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client_for(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    policy: RetryPolicy | None = None,
    sleeps: Sleeps | None = None,
) -> HttpClient:
    return HttpClient(
        "testprov",
        "http://api.test/v1",
        client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        retry=policy or RetryPolicy(max_attempts=4, base_delay=0.1, jitter=0.0),
        sleep=sleeps or Sleeps(),
        seed=1,
    )


def scripted(
    *responses: httpx.Response | Exception,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def test_parse_retry_after_forms() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after({"Retry-After": "7"}, now=now) == 7
    http_date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"Retry-After": http_date}, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after({"Retry-After": "2027-01-15T08:00:30Z"}, now=now) == pytest.approx(
        1_800_000_030.0 - now, abs=1
    )
    assert parse_retry_after({"retry-after-ms": "1500"}, now=now) == 1.5
    assert parse_retry_after({"x-sib-ratelimit-reset": "12"}, now=now) == 12
    assert parse_retry_after({"X-RateLimit-Reset": str(int(now + 40))}, now=now) == pytest.approx(40)
    assert parse_retry_after({"content-type": "text/plain"}, now=now) is None


async def test_retries_5xx_then_succeeds() -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"ok": True}))
    sleeps = Sleeps()
    async with client_for(handler, sleeps=sleeps) as client:
        assert await client.get_json("/things") == {"ok": True}
        assert client.stats.requests == 3 and client.stats.retries == 2
    assert len(seen) == 3
    assert sleeps.waits == [pytest.approx(0.1), pytest.approx(0.2)]


async def test_hard_failure_after_attempt_bound() -> None:
    handler, seen = scripted(httpx.Response(500, json={"message": "boom"}))
    async with client_for(handler) as client:
        with pytest.raises(ServerError) as info:
            await client.get_json("/things")
    assert len(seen) == 4
    assert info.value.status == 500 and "boom" in str(info.value) and "GET /things" in str(info.value)


async def test_429_honours_retry_after_seconds_and_http_date() -> None:
    http_date = email.utils.formatdate(time.time() + 20, usegmt=True)
    handler, _ = scripted(
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(429, headers={"Retry-After": http_date}),
        httpx.Response(200, json=[]),
    )
    sleeps = Sleeps()
    async with client_for(handler, sleeps=sleeps) as client:
        await client.get_json("/x")
        assert client.stats.rate_limited == 2
    assert sleeps.waits[0] == pytest.approx(3, abs=0.2)
    assert sleeps.waits[1] == pytest.approx(20, abs=2)


async def test_429_without_hint_waits_by_the_provider_window() -> None:
    handler, seen = scripted(*[httpx.Response(429)] * 5, httpx.Response(200, json=[]))
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=2, rate_limit_window=120, jitter=0.0, max_total_seconds=3600)
    async with client_for(handler, policy=policy, sleeps=sleeps) as client:
        await client.get_json("/x")
    # Waits grow to the whole window and survive it, beyond the plain attempt bound.
    assert sleeps.waits == [15, 30, 60, 120, 120]
    assert sum(sleeps.waits) > 120
    assert len(seen) == 6


async def test_retry_after_beyond_total_budget_raises_rate_limit_with_the_wait() -> None:
    handler, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "7200"}, json={"message": "daily limit"})
    )
    policy = RetryPolicy(max_total_seconds=60)
    async with client_for(handler, policy=policy) as client:
        with pytest.raises(RateLimitError) as info:
            await client.get_json("/x")
    assert len(seen) == 1
    assert info.value.retry_after is not None and info.value.retry_after > 7000


async def test_post_is_not_retried_unless_safe() -> None:
    handler, seen = scripted(httpx.Response(500), httpx.Response(500), httpx.Response(201, json={}))
    async with client_for(handler) as client:
        with pytest.raises(ServerError):
            await client.request("POST", "/import", json={"a": 1})
        assert len(seen) == 1
        await client.request("POST", "/import", json={"a": 1}, idempotent=True)
    assert len(seen) == 3


async def test_post_is_retried_when_nothing_was_sent() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.Response(201, json={}))
    async with client_for(handler) as client:
        response = await client.request("POST", "/import", json={})
    assert response.status_code == 201 and len(seen) == 2


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, "You are not authorized to use the API.", AuthenticationError),
        (404, "", NotFoundError),
        (400, '{"error": "ARGUMENTS_ERROR", "error_description": "bad"}', ClientError),
    ],
)
async def test_error_mapping(status: int, body: str, error: type[Exception]) -> None:
    handler, _ = scripted(httpx.Response(status, text=body, headers={"x-request-id": "req-9"}))
    async with client_for(handler) as client:
        with pytest.raises(error) as info:
            await client.get_json("/x")
    assert info.value.request_id == "req-9"  # type: ignore[attr-defined]
    assert info.value.provider == "testprov"  # type: ignore[attr-defined]
    if body.startswith("{"):
        assert info.value.code == "ARGUMENTS_ERROR"  # type: ignore[attr-defined]


async def test_non_json_success_is_a_validation_error() -> None:
    handler, _ = scripted(httpx.Response(200, text="<html>maintenance</html>"))
    async with client_for(handler) as client:
        with pytest.raises(ResponseValidationError, match="expected JSON"):
            await client.get_json("/x")


async def test_rate_limiter_spaces_requests() -> None:
    limiter = RateLimiter([(3, 0.3)])
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(7)))
    # 7 requests at 3 per 0.3 s need two full windows.
    assert time.monotonic() - started >= 0.59


def page_server(pages: list[Any]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        index = (
            int(params.get("page", params.get("continuation", params.get("next_page_token", "1")) or 1)) - 1
        )
        return httpx.Response(200, json=pages[index])

    return handler


async def collect(client: HttpClient, paginator: Any, items: Callable[[Any], list[Any]]) -> list[Any]:
    out: list[Any] = []
    async for page in iter_pages(client, "/list", paginator, items=items):
        out.extend(page)
    return out


async def test_page_number_stops_on_short_page() -> None:
    pages = [[1, 2, 3], [4, 5, 6], [7]]
    async with client_for(page_server(pages)) as client:
        assert await collect(client, PageNumberPaginator(size=3), lambda b: b) == [1, 2, 3, 4, 5, 6, 7]
        assert client.stats.requests == 3


async def test_continuation_stops_on_has_more_items_false_even_with_a_token() -> None:
    pages = [
        {"items": [1], "pagination": {"has_more_items": True, "continuation": "2"}},
        {"items": [2], "pagination": {"has_more_items": False, "continuation": "3"}},
        {"items": [99], "pagination": {"has_more_items": False}},
    ]
    async with client_for(page_server(pages)) as client:
        assert await collect(client, ContinuationPaginator("testprov"), lambda b: b["items"]) == [1, 2]
        assert client.stats.requests == 2


async def test_repeated_cursor_raises() -> None:
    pages = [
        {"items": [1], "pagination": {"has_more_items": True, "continuation": "2"}},
        {"items": [2], "pagination": {"has_more_items": True, "continuation": "2"}},
    ]
    async with client_for(page_server(pages)) as client:
        with pytest.raises(PaginationError, match="twice"):
            await collect(client, ContinuationPaginator("testprov"), lambda b: b["items"])


async def test_next_page_token_keeps_page_size() -> None:
    seen: list[dict[str, str]] = []
    pages = [{"p": [1], "next_page_token": "2"}, {"p": [2], "next_page_token": ""}]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return page_server(pages)(request)

    async with client_for(handler) as client:
        assert await collect(client, NextPageTokenPaginator("testprov", page_size=300), lambda b: b["p"]) == [
            1,
            2,
        ]
    assert [s["page_size"] for s in seen] == ["300", "300"]
    assert "next_page_token" not in seen[0] and seen[1]["next_page_token"] == "2"


async def test_wrong_page_shape_is_a_validation_error() -> None:
    async with client_for(page_server([{"unexpected": True}])) as client:
        with pytest.raises(ResponseValidationError):
            await collect(client, PageNumberPaginator(size=3), lambda b: b["items"])


def test_one_status_mapping_for_raw_http_and_sdks() -> None:
    from connectors.claude import ClaudeError, ClaudeRateLimitError, ClaudeUnavailableError
    from connectors.claude.errors import CLAUDE_ERRORS
    from connectors.http import ConnectorError, error_class, status_error

    assert [error_class(s) for s in (401, 403, 404, 408, 422, 429, 500, 529)] == [
        AuthenticationError,
        AuthenticationError,
        NotFoundError,
        ClientError,
        ClientError,
        RateLimitError,
        ServerError,
        ServerError,
    ]
    assert error_class(400, "INVALID_AUTH", auth_codes={"INVALID_AUTH"}) is AuthenticationError
    hinted = status_error(
        429, None, provider="p", method="GET", path="/x", headers={"Retry-After": "7", "x-request-id": "r1"}
    )
    assert isinstance(hinted, RateLimitError) and hinted.retry_after == 7.0 and hinted.request_id == "r1"
    assert hinted.message == "rate limit reached"
    claude = status_error(
        529,
        "overloaded",
        provider="anthropic",
        method="POST",
        path="/v1/messages",
        headers={},
        kinds=CLAUDE_ERRORS,
    )
    assert isinstance(claude, ClaudeUnavailableError) and isinstance(claude, ServerError)
    assert issubclass(ClaudeRateLimitError, RateLimitError) and issubclass(ClaudeError, ConnectorError)
