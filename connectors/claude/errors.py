"""Connector errors: a shallow hierarchy carrying provider, method, path and status."""

from __future__ import annotations


class ClaudeError(Exception):
    """Base error of the Claude connector."""

    provider = "anthropic"

    def __init__(
        self,
        message: str,
        *,
        method: str = "POST",
        path: str = "/v1/messages",
        status: int | None = None,
        request_id: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.request_id = request_id
        self.attempts = attempts

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        rid = f" request_id={self.request_id}" if self.request_id else ""
        where = f"{self.provider} {self.method} {self.path}{status}"
        return f"{where}: {self.args[0]}{rid} (attempts={self.attempts})"


class ClaudeNotConfiguredError(ClaudeError):
    """No ``ANTHROPIC_API_KEY`` is set."""


class ClaudeAuthenticationError(ClaudeError):
    """401/403: the key is wrong or lacks permission."""


class SpendLimitError(ClaudeError):
    """429 with ``error.details.error_code == "enforced_spend_limit_reached"``: the organisation's
    spend cap is reached. Never retried; raise the cap in the Anthropic console or wait for the cycle."""


class ClaudeRateLimitError(ClaudeError):
    """429 ``rate_limit_error`` still returned after the bounded retries."""


class ClaudeUnavailableError(ClaudeError):
    """529 overloaded, 5xx, timeout or connection error still failing after the bounded retries."""


class ClaudeRequestError(ClaudeError):
    """Any other 4xx: the request itself is wrong (not retried)."""


class ClaudeResponseError(ClaudeError):
    """A 200 response without the expected tool call (or cut off by ``max_tokens``)."""
