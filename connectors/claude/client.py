"""Async Claude client on the official ``anthropic`` SDK (AsyncAnthropic).

Structured output uses a tool with ``strict: true`` and ``tool_choice`` forcing that tool: the
answer arrives as an already-parsed ``tool_use.input`` object, and forcing works on every current
model. The fixed system block carries ``cache_control`` so the instructions (and the tool
definition before them) are cached across calls.

Retries are the connectors' one retry loop (:func:`connectors.http.call_with_policy`) with the
policy :func:`claude_retry` builds from the settings: the SDK runs with ``max_retries=0`` because
it retries every 429, including the spend-cap 429 (``error.details.error_code ==
"enforced_spend_limit_reached"``), which must fail at once. 429 rate limits, 529 overloads, other
5xx and connection errors/timeouts are retried up to ``max_attempts`` in total, honouring
``retry-after-ms`` / ``retry-after`` (capped by ``retry_max_wait``), else exponential backoff with
jitter. SDK exceptions become :class:`ClaudeError` subclasses through the one status mapping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import anthropic
from anthropic.types import Message
from pydantic import BaseModel

from connectors.claude.errors import (
    CLAUDE_ERRORS,
    PROVIDER,
    ClaudeNotConfiguredError,
    ClaudeResponseError,
    ClaudeUnavailableError,
    SpendLimitError,
)
from connectors.claude.settings import ClaudeSettings
from connectors.http import CallStats, ConnectorError, Convert, RetryPolicy, call_with_policy, status_error

SPEND_LIMIT_CODE = "enforced_spend_limit_reached"

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


class ToolCall(BaseModel):
    """The forced tool call Claude answered with, plus usage accounting."""

    name: str
    input: dict[str, Any]
    model: str
    stop_reason: str | None
    request_id: str | None
    attempts: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


def claude_retry(settings: ClaudeSettings) -> RetryPolicy:
    """The retry policy for Claude: ``max_attempts`` in all, waits never over ``retry_max_wait``.

    Anthropic publishes no fixed rate-limit window, so a 429 without ``retry-after`` backs off
    like an overload and counts as an attempt; its ``retry-after`` is honoured exactly (no jitter).
    """
    return RetryPolicy(
        max_attempts=settings.max_attempts,
        base_delay=settings.retry_base_delay,
        max_delay=settings.retry_max_wait,
        jitter=0.25,
        rate_limit_window=None,
        max_hinted_wait=settings.retry_max_wait,
        hint_jitter=0.0,
    )


def convert_sdk_error(method: str, path: str) -> Convert:
    """A converter for :func:`connectors.http.call_with_policy`: ``anthropic`` exception → ClaudeError."""

    def convert(exc: Exception) -> ConnectorError | None:
        if isinstance(exc, anthropic.APIStatusError):
            return _status_error(exc, method, path)
        if isinstance(exc, anthropic.APIConnectionError):  # includes APITimeoutError
            return ClaudeUnavailableError(f"{type(exc).__name__}: {exc}", method=method, path=path)
        return None

    return convert


def _status_error(exc: anthropic.APIStatusError, method: str, path: str) -> ConnectorError:
    message = exc.api_message or exc.message
    if isinstance(exc, anthropic.RateLimitError) and exc.error_code == SPEND_LIMIT_CODE:
        return SpendLimitError(
            f"spend limit reached: {message}",
            method=method,
            path=path,
            status=exc.status_code,
            request_id=exc.request_id,
        )
    error = status_error(
        exc.status_code,
        message,
        provider=PROVIDER,
        method=method,
        path=path,
        headers=exc.response.headers,
        kinds=CLAUDE_ERRORS,
    )
    error.request_id = exc.request_id or error.request_id
    return error


class ClaudeClient:
    """Messages API client for one-shot structured calls. Use as ``async with ClaudeClient(s) as c``.

    ``sleep`` replaces the waiting between attempts (tests); ``stats`` counts the calls.
    """

    def __init__(self, settings: ClaudeSettings, *, sleep: Sleep = asyncio.sleep) -> None:
        if not settings.configured or settings.api_key is None:
            raise ClaudeNotConfiguredError("ANTHROPIC_API_KEY is not set")
        self._settings = settings
        self._sleep = sleep
        self.retry = claude_retry(settings)
        self.stats = CallStats()
        self._sdk = anthropic.AsyncAnthropic(
            api_key=settings.api_key.get_secret_value(),
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=0,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the SDK's HTTP client."""
        await self._sdk.close()

    async def _call(self, method: str, path: str, call: Callable[[], Awaitable[T]]) -> T:
        """One SDK call under the retry policy (every Messages API call is safe to repeat)."""
        return await call_with_policy(
            call,
            provider=PROVIDER,
            method=method,
            path=path,
            policy=self.retry,
            convert=convert_sdk_error(method, path),
            idempotent=True,
            stats=self.stats,
            sleep=self._sleep,
        )

    async def test_connection(self) -> str:
        """Check the key and that the configured model exists (``GET /v1/models/{model}``); returns its name."""
        model_id = self._settings.model
        model = await self._call("GET", f"/v1/models/{model_id}", lambda: self._sdk.models.retrieve(model_id))
        return str(model.display_name or model.id)

    async def call_tool(
        self, *, system: str, user: str, tool: dict[str, Any], max_tokens: int | None = None
    ) -> ToolCall:
        """Send one user message and force Claude to answer by calling ``tool``.

        ``system`` is sent as one cached text block. Raises :class:`SpendLimitError` (not retried),
        :class:`ClaudeRateLimitError` / :class:`ClaudeUnavailableError` after ``max_attempts``,
        :class:`ClaudeAuthenticationError`, :class:`ClaudeRequestError`, :class:`ClaudeResponseError`.
        """
        s = self._settings
        params: dict[str, Any] = {
            "model": s.model,
            "max_tokens": max_tokens or s.max_tokens,
            "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": user}],
            "tools": [tool],
            "tool_choice": {"type": "tool", "name": tool["name"]},
        }
        attempts = 0

        async def create() -> Message:
            nonlocal attempts
            attempts += 1
            return cast(Message, await self._sdk.messages.create(**params))

        message = await self._call("POST", "/v1/messages", create)
        return _tool_call(message, str(tool["name"]), attempts)


def _tool_call(message: Message, name: str, attempts: int) -> ToolCall:
    """The ``tool_use`` block for ``name`` in ``message`` (raises if absent or truncated)."""
    if message.stop_reason == "max_tokens":
        raise ClaudeResponseError("response cut off by max_tokens; raise ANTHROPIC_MAX_TOKENS", status=200)
    for block in message.content:
        if block.type == "tool_use" and block.name == name:
            usage = message.usage
            return ToolCall(
                name=name,
                input=cast(dict[str, Any], block.input),
                model=message.model,
                stop_reason=message.stop_reason,
                request_id=getattr(message, "_request_id", None),
                attempts=attempts,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
                cache_read_input_tokens=usage.cache_read_input_tokens or 0,
            )
    raise ClaudeResponseError(f"no {name!r} tool_use block in the response", status=200)
