"""What the twins do the same way, written once.

The services differ in their error bodies, paging schemes and limits (each twin keeps its own),
but several small things are the same idea everywhere: a twin's state built once per sandbox,
the UTC timestamp format, reading a bearer token or Basic credentials, a form-encoded body
parsed by hand (python-multipart is not a dependency), and the "same query" a page token is
bound to.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request

if TYPE_CHECKING:
    from sandbox.framework import SandboxContext
    from sandbox.world import World

T = TypeVar("T")


def state_in(ctx: SandboxContext, service: str, kind: type[T], build: Callable[[World], T]) -> T:
    """The twin's state in ``ctx.state[service]``, built from the world on first use."""
    state = ctx.state.get(service)
    if state is None:
        state = ctx.state[service] = build(ctx.world)
    assert isinstance(state, kind)
    return state


def iso_utc(moment: datetime) -> str:
    """The APIs' UTC timestamp format (``2026-03-05T18:00:00Z``)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return f"{moment.isoformat(timespec='seconds')[:19]}Z"


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (any case), or None without one."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def basic_credentials(encoded: str) -> tuple[str, str] | None:
    """``(user, password)`` from the base64 part of a Basic header, or None when it does not decode."""
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except ValueError:  # bad base64 (binascii.Error) or bad UTF-8 (UnicodeDecodeError)
        return None
    return user, password


async def form_body(request: Request) -> dict[str, str]:
    """A form-encoded request body as a dict."""
    return dict(parse_qsl((await request.body()).decode()))


def query_scope(request: Request, *ignored: str) -> str:
    """The path and sorted parameters except ``ignored``: what a page token is bound to."""
    return f"{request.url.path}?{sorted((k, v) for k, v in request.query_params.items() if k not in ignored)}"
