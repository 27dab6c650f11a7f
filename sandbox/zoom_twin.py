"""Zoom API v2 twin: Server-to-Server OAuth, users, meetings, webinars, registrants, reports, recordings.

The data (the account's users, their sessions, registrants and participants, with Zoom's
email display rule) is built by :mod:`sandbox.zoom_data`. Answers follow Zoom's published
response schemas (``tests/sandbox/test_zoom_contract.py`` checks every route against them).
Quirks reproduced:

- tokens from ``POST /oauth/token?grant_type=account_credentials&account_id=`` (Basic auth)
  expire after ``ZoomState.token_lifetime`` seconds; then ``401 {"code": 124}``;
- ``next_page_token`` pagination (``page_size`` default 30, max 300); a token expires after
  ``ZoomState.page_token_ttl`` seconds and must come with the same ``page_size``
  (``400 {"code": 300}`` otherwise); ``page_count`` / ``total_records`` on every list, the
  deprecated ``page_number`` where the spec still declares it;
- ``GET /users`` lists active users unless ``status`` says otherwise; ``me`` is the owner;
- report participants: one row per join (rejoins repeat a person), hidden guest emails,
  ``registrant_id`` only when ``include_fields=registrant_id`` is asked;
- meeting registrants only for meetings with registration (``code 300`` otherwise);
- UUIDs starting with ``/`` or containing ``//`` only resolve when double-encoded;
- report 404 (code 3001) for some meetings; report endpoints refused (code 200) on a free plan;
- QPS 429 with ``X-RateLimit-*`` headers, daily 429 with an ISO ``Retry-After``;
- unknown routes answer Zoom's JSON ``{code, message}``, never plain text.
"""

from __future__ import annotations

from starlette.applications import Starlette

from sandbox.conventions import state_in
from sandbox.framework import FaultProfile, SandboxContext
from sandbox.zoom_data import ACCOUNT_ID, HOST, SERVICE, USERS, Occurrence, Session, ZoomState
from sandbox.zoom_generate import generate
from sandbox.zoom_http import CLIENT_ID, CLIENT_SECRET, daily_limited, error, not_found, rate_limited
from sandbox.zoom_routes import ZoomRoutes

__all__ = [
    "ACCOUNT_ID",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FAULTS",
    "HOST",
    "USERS",
    "Occurrence",
    "Session",
    "ZoomState",
    "build_app",
    "daily_limited",
    "exhaust_daily",
    "generate",
    "rate_limited",
    "state_of",
]


FAULTS = FaultProfile(
    rate_limited=rate_limited,
    server_error=lambda: error(500, 500, "Internal server error."),
    expired_token=lambda: error(401, 124, "Access token is expired."),
    exempt=("/oauth/",),
)


def state_of(ctx: SandboxContext) -> ZoomState:
    """The twin's state in ``ctx`` (built on first use)."""
    return state_in(ctx, SERVICE, ZoomState, generate)


def exhaust_daily(ctx: SandboxContext, category: str = "Heavy", exhausted: bool = True) -> None:
    """Make every request of ``category`` answer the daily-limit 429 (or stop doing so)."""
    state_of(ctx).exhausted[category] = exhausted


def build_app(ctx: SandboxContext) -> Starlette:
    """The Zoom twin (API under ``/v2``, token endpoint at ``/oauth/token``)."""
    state = state_of(ctx)
    ctx.stats_hooks[SERVICE] = lambda: {
        "users": len(state.users),
        "meetings": len(state.meetings),
        "webinars": len(state.webinars),
        "occurrences": len(state.by_uuid),
        "participant_rows": sum(len(o.participants) for _, o in state.by_uuid.values()),
        "hidden_emails": sum(not r["user_email"] for _, o in state.by_uuid.values() for r in o.participants),
        "registrants": sum(len(s.registrants) for s in state.webinars + state.meetings),
        "tokens_issued": state.tokens_issued,
        "plan": state.plan,
    }
    routes = ZoomRoutes(state).routes()
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
