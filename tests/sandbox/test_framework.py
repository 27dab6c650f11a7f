"""The twins' framework: request counting, fault injection, and the retry policy against it over loopback."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from connectors.http import HttpClient, RateLimitError, RetryPolicy, ServerError
from sandbox.framework import FaultProfile, RunningSandbox, SandboxContext, TwinMiddleware, new_context


def toy_app(ctx: SandboxContext, retry_after: str | None) -> Starlette:
    async def items(_: Request) -> JSONResponse:
        return JSONResponse([1, 2, 3])

    def limited() -> Response:
        value = (
            email.utils.formatdate(time.time() + 2, usegmt=True)
            if retry_after == "http-date"
            else retry_after
        )
        headers = {"Retry-After": value} if value is not None else {}
        return JSONResponse({"message": "slow down"}, status_code=429, headers=headers)

    profile = FaultProfile(rate_limited=limited)
    twin = Starlette(routes=[Route("/v1/items/{kind}", items)])
    return Starlette(
        routes=[Mount("/toy", app=TwinMiddleware(twin, service="toy", ctx=ctx, profile=profile))]
    )


@pytest.fixture
def ctx() -> SandboxContext:
    return new_context(scale=50, seed=3)


def serve(ctx: SandboxContext, retry_after: str | None = "0") -> RunningSandbox:
    return RunningSandbox(ctx, app=toy_app(ctx, retry_after)).start()


async def test_counts_requests_per_route_template(ctx: SandboxContext) -> None:
    sandbox = serve(ctx)
    try:
        async with httpx.AsyncClient(base_url=sandbox.base_url) as client:
            for kind in ("a", "b", "c"):
                assert (await client.get(f"/toy/v1/items/{kind}")).json() == [1, 2, 3]
    finally:
        sandbox.stop()
    assert ctx.requests["toy"]["GET /v1/items/{kind}"] == 3


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_policy_survives_injected_429s_with_retry_after(ctx: SandboxContext, form: str) -> None:
    retry_after = "1" if form == "seconds" else "http-date"
    sandbox = serve(ctx, retry_after)
    ctx.faults.queue("toy", "429", 2)
    try:
        async with HttpClient(
            "toy", f"{sandbox.base_url}/toy/v1", retry=RetryPolicy(max_attempts=3)
        ) as client:
            started = time.monotonic()
            assert await client.get_json("/items/x") == [1, 2, 3]
            assert client.stats.rate_limited == 2
            # It really waited as told (an HTTP date two seconds ahead has one-second resolution).
            assert time.monotonic() - started >= 1.9
    finally:
        sandbox.stop()
    assert ctx.faults.injected["toy:429"] == 2


async def test_policy_gives_up_after_the_attempt_bound(ctx: SandboxContext) -> None:
    sandbox = serve(ctx)
    ctx.faults.queue("toy", "5xx", 10)
    try:
        policy = RetryPolicy(max_attempts=3, base_delay=0.01)
        async with HttpClient("toy", f"{sandbox.base_url}/toy/v1", retry=policy) as client:
            with pytest.raises(ServerError) as info:
                await client.get_json("/items/x")
            assert client.stats.requests == 3
    finally:
        sandbox.stop()
    assert info.value.status == 503


async def test_rate_limit_beyond_budget_is_reported_with_its_wait(ctx: SandboxContext) -> None:
    sandbox = serve(ctx, retry_after="86400")
    ctx.faults.queue("toy", "429", 1)
    try:
        async with HttpClient(
            "toy", f"{sandbox.base_url}/toy/v1", retry=RetryPolicy(max_total_seconds=30)
        ) as client:
            with pytest.raises(RateLimitError) as info:
                await client.get_json("/items/x")
    finally:
        sandbox.stop()
    assert info.value.retry_after is not None and info.value.retry_after >= 86000


async def test_random_faults_are_deterministic_per_seed() -> None:
    draws = []
    for _ in range(2):
        ctx = new_context(scale=20, seed=5, faults=0.3)
        profile = FaultProfile(rate_limited=lambda: Response(status_code=429))
        draws.append([ctx.faults.draw("toy", profile) for _ in range(50)])
    assert draws[0] == draws[1]
    assert 5 <= sum(d is not None for d in draws[0]) <= 30
