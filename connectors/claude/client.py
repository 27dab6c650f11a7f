"""Async Claude client on the official ``anthropic`` SDK (AsyncAnthropic).

Structured output uses a tool with ``strict: true`` and ``tool_choice`` forcing that tool: the
answer arrives as an already-parsed ``tool_use.input`` object, and forcing works on every current
model. The fixed system block carries ``cache_control`` so the instructions (and the tool
definition before them) are cached across calls.

Retries are our own and bounded: the SDK runs with ``max_retries=0`` because it retries every 429,
including the spend-cap 429 (``error.details.error_code == "enforced_spend_limit_reached"``), which
must fail at once. 429 rate limits, 529 overloads, other 5xx and connection errors/timeouts are
retried up to ``max_attempts`` in total, honouring ``retry-after-ms`` / ``retry-after`` (capped by
``retry_max_wait``), else exponential backoff with jitter.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, cast

import anthropic
import httpx2
from anthropic.types import Message
from pydantic import BaseModel

from connectors.claude.errors import (
    ClaudeAuthenticationError,
    ClaudeError,
    ClaudeNotConfiguredError,
    ClaudeRateLimitError,
    ClaudeRequestError,
    ClaudeResponseError,
    ClaudeUnavailableError,
    SpendLimitError,
)
from connectors.claude.settings import ClaudeSettings

log = logging.getLogger(__name__)

SPEND_LIMIT_CODE = "enforced_spend_limit_reached"

Sleep = Callable[[float], Awaitable[None]]


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


def retry_delay(headers: httpx2.Headers | None, attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait before the next attempt: ``retry-after-ms`` / ``retry-after`` when sent,
    else ``base * 2**(attempt-1)`` with up to 25% jitter; never more than ``cap``."""
    if headers is not None:
        for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
            raw = headers.get(name)
            if raw is None:
                continue
            try:
                return max(0.0, min(float(raw) * scale, cap))
            except ValueError:
                continue
    delay: float = base * 2.0 ** (attempt - 1) * (1 - 0.25 * random.random())
    return min(delay, cap)


class ClaudeClient:
    """Messages API client for one-shot structured calls. Use as ``async with ClaudeClient(s) as c``."""

    def __init__(
        self,
        settings: ClaudeSettings,
        *,
        http_client: httpx2.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not settings.configured or settings.api_key is None:
            raise ClaudeNotConfiguredError("ANTHROPIC_API_KEY is not set", status=None)
        self._settings = settings
        self._sleep = sleep
        self._sdk = anthropic.AsyncAnthropic(
            api_key=settings.api_key.get_secret_value(),
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=0,
            http_client=http_client,
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

    async def test_connection(self) -> str:
        """Check the key and that the configured model exists (``GET /v1/models/{model}``); returns its name."""
        try:
            model = await self._sdk.models.retrieve(self._settings.model)
        except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
            raise ClaudeAuthenticationError(
                exc.api_message or exc.message, status=exc.status_code, request_id=exc.request_id
            ) from exc
        except anthropic.APIStatusError as exc:
            raise ClaudeRequestError(
                exc.api_message or exc.message, status=exc.status_code, request_id=exc.request_id
            ) from exc
        except anthropic.APIConnectionError as exc:
            raise ClaudeUnavailableError(f"{type(exc).__name__}: {exc}") from exc
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
        message, attempts = await self._create_with_retries(params)
        return _tool_call(message, str(tool["name"]), attempts)

    async def _create_with_retries(self, params: dict[str, Any]) -> tuple[Message, int]:
        s = self._settings
        attempt = 0
        while True:
            attempt += 1
            headers: httpx2.Headers | None = None
            try:
                return await self._sdk.messages.create(**params), attempt
            except anthropic.RateLimitError as exc:
                if exc.error_code == SPEND_LIMIT_CODE:
                    raise SpendLimitError(
                        f"spend limit reached: {exc.api_message or exc.message}",
                        status=exc.status_code,
                        request_id=exc.request_id,
                        attempts=attempt,
                    ) from exc
                failure: ClaudeError = ClaudeRateLimitError(
                    exc.api_message or exc.message, status=429, request_id=exc.request_id, attempts=attempt
                )
                headers = exc.response.headers
            except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
                raise ClaudeAuthenticationError(
                    exc.api_message or exc.message, status=exc.status_code, request_id=exc.request_id
                ) from exc
            except anthropic.InternalServerError as exc:  # 5xx including 529 OverloadedError
                failure = ClaudeUnavailableError(
                    exc.api_message or exc.message,
                    status=exc.status_code,
                    request_id=exc.request_id,
                    attempts=attempt,
                )
                headers = exc.response.headers
            except anthropic.APIStatusError as exc:
                raise ClaudeRequestError(
                    exc.api_message or exc.message, status=exc.status_code, request_id=exc.request_id
                ) from exc
            except anthropic.APIConnectionError as exc:  # includes APITimeoutError
                failure = ClaudeUnavailableError(f"{type(exc).__name__}: {exc}", attempts=attempt)
            if attempt >= s.max_attempts:
                raise failure
            delay = retry_delay(headers, attempt, base=s.retry_base_delay, cap=s.retry_max_wait)
            log.warning(
                "Claude call failed (%s); retry %d/%d in %.2fs", failure, attempt, s.max_attempts - 1, delay
            )
            await self._sleep(delay)


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
