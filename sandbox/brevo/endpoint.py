"""One Brevo twin request from arrival to answer: rate budget, key, body, checks, handler.

Order of checks: :mod:`sandbox.brevo.validation`'s docstring. Every handler is
``async (twin, request, body) -> Response`` and raises :class:`ApiError` for Brevo's errors;
:func:`endpoint` binds it to the twin and adds the rate-limit headers to every answer.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.brevo.imports import tick
from sandbox.brevo.pace import TIER_WINDOWS
from sandbox.brevo.shapes import ApiError, error_response, rate_limit_headers, too_many
from sandbox.brevo.state import BrevoState
from sandbox.brevo.validation import Check, RequestRefused
from sandbox.hooks import Hooks

IMPORT_BODY_LIMIT = 10 * 1024 * 1024
#: Request bodies kept for inspection (oldest dropped first; blocklist fields are counted for all).
RECEIVED_KEEP = 20_000


@dataclass
class Twin:
    """What every handler reaches: the state, the kill hooks, the sandbox's random generator."""

    state: BrevoState
    hooks: Hooks
    rng: random.Random


Handler = Callable[[Twin, Request, Any], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def rate(state: BrevoState, tier: str) -> tuple[bool, dict[str, str]]:
    """Count one request of ``tier`` in each of its windows; (allowed, the headers to send).

    Fixed windows, as Brevo's ``x-sib-ratelimit-reset`` describes them. The headers tell of
    the window with the fewest requests left, the one that refuses first.
    """
    now = state.clock()
    seen: list[tuple[str, float, int, int, int]] = []
    for window in TIER_WINDOWS.get(tier, (tier,)):
        if window in state.rate_limits:
            count, seconds = state.rate_limits[window]
            start, used = state._windows.get(window, (now, 0))
            if now - start >= seconds:
                start, used = now, 0
            seen.append((window, start, used, count, math.ceil(seconds - (now - start))))
    if not seen:
        return True, {}
    allowed = all(used < count for _, _, used, count, _ in seen)
    if not allowed:
        state.refused[tier] += 1
    for window, start, used, _, _ in seen:
        state._windows[window] = (start, used + allowed)
    _, _, used, count, reset = min(seen, key=lambda s: s[3] - s[2])
    return allowed, rate_limit_headers(count, count - used - allowed, reset)


def _keep(state: BrevoState, request: Request, raw: bytes, body: Any) -> None:
    if len(state.received) >= RECEIVED_KEEP:
        del state.received[: RECEIVED_KEEP // 10]
    kept = body if len(raw) < 1_000_000 else {"_large": sorted(body) if isinstance(body, dict) else []}
    state.received.append({"method": request.method, "path": request.url.path, "body": kept})


async def _read_body(state: BrevoState, request: Request) -> tuple[Any, Response | None]:
    """The parsed JSON body (None when empty), or the 413 / 400 that refuses it."""
    raw = await request.body()
    if not raw:
        return None, None
    if b"emailblacklist" in raw.lower():
        state.forbidden_fields.append(f"{request.method} {request.url.path}")
    if len(raw) > IMPORT_BODY_LIMIT:
        return None, error_response("out_of_range", "Maximum allowed json body size is 10MB", 413)
    try:
        body = json.loads(raw)
    except ValueError:
        return None, error_response("bad_request", "Invalid JSON", 400)
    _keep(state, request, raw, body)
    return body, None


async def _answer(twin: Twin, request: Request, handler: Handler, check: Check) -> Response:
    if request.headers.get("api-key") != twin.state.api_key:
        return error_response("unauthorized", "Key not found", 401)
    body, refused = await _read_body(twin.state, request)
    if refused is not None:
        return refused
    tick(twin.state)
    try:
        check(request.query_params, body)
        return await handler(twin, request, body)
    except RequestRefused as exc:
        return error_response(exc.code, exc.message, 400)
    except ApiError as exc:
        return error_response(exc.code, exc.message, exc.status)


def endpoint(twin: Twin, tier: str, handler: Handler, check: Check) -> Endpoint:
    """The Starlette endpoint for one route of ``tier``: budget first, then :func:`_answer`."""

    async def run(request: Request) -> Response:
        allowed, headers = rate(twin.state, tier)
        response = await _answer(twin, request, handler, check) if allowed else too_many()
        response.headers.update(headers)
        return response

    return run


def page(request: Request, *, default: int, maximum: int) -> tuple[int, int, str]:
    """``limit``, ``offset`` and ``sort`` of a listing (400 ``out_of_range`` past ``maximum``)."""
    try:
        limit = int(request.query_params.get("limit", default))
        offset = int(request.query_params.get("offset", 0))
    except ValueError as exc:
        raise ApiError(400, "invalid_parameter", "limit and offset must be integers") from exc
    if limit < 0 or limit > maximum:
        raise ApiError(400, "out_of_range", f"Limit exceeds max value of {maximum}")
    return limit, max(0, offset), request.query_params.get("sort", "desc")


def list_or_404(state: BrevoState, request: Request) -> int:
    """The ``list_id`` of the path, or 404 ``document_not_found``."""
    list_id = int(request.path_params["list_id"])
    if list_id not in state.lists:
        raise ApiError(404, "document_not_found", "List ID does not exist")
    return list_id
