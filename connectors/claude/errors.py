"""Claude's errors, in the connectors' one error tree (:mod:`connectors.http.errors`).

Each is a :class:`ClaudeError` (so callers can catch Claude's failures alone) and the matching
generic :class:`~connectors.http.ConnectorError` subclass (so the retry policy and the flows'
failure reports treat Claude like every other provider).
"""

from __future__ import annotations

from typing import Any

from connectors.http import (
    AuthenticationError,
    ClientError,
    ConnectorError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)

PROVIDER = "anthropic"


class ClaudeError(ConnectorError):
    """Base error of the Claude connector (``POST /v1/messages`` unless said otherwise)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = PROVIDER,
        method: str = "POST",
        path: str = "/v1/messages",
        **kw: Any,
    ) -> None:
        super().__init__(message, provider=provider, method=method, path=path, **kw)


class ClaudeNotConfiguredError(ClaudeError):
    """No ``ANTHROPIC_API_KEY`` is set."""


class ClaudeAuthenticationError(ClaudeError, AuthenticationError):
    """401/403: the key is wrong or lacks permission."""


class SpendLimitError(ClaudeError, ClientError):
    """429 with ``error.details.error_code == "enforced_spend_limit_reached"``: the organisation's
    spend cap is reached. Never retried; raise the cap in the Anthropic console or wait for the cycle."""


class ClaudeRateLimitError(ClaudeError, RateLimitError):
    """429 ``rate_limit_error`` still returned after the bounded retries."""


class ClaudeUnavailableError(ClaudeError, ServerError):
    """529 overloaded, 5xx, timeout or connection error still failing after the bounded retries."""


class ClaudeRequestError(ClaudeError, ClientError):
    """Any other 4xx: the request itself is wrong (not retried)."""


class ClaudeResponseError(ClaudeError, ResponseValidationError):
    """A 200 response without the expected tool call (or cut off by ``max_tokens``)."""


#: The Claude error for each generic class the status mapping gives.
CLAUDE_ERRORS: dict[type[ConnectorError], type[ClaudeError]] = {
    AuthenticationError: ClaudeAuthenticationError,
    NotFoundError: ClaudeRequestError,
    RateLimitError: ClaudeRateLimitError,
    ServerError: ClaudeUnavailableError,
    ClientError: ClaudeRequestError,
}
