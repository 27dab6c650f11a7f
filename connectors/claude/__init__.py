"""Claude (Anthropic Messages API) connector: structured output via a forced tool call."""

from connectors.claude.client import ClaudeClient, ToolCall
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

__all__ = [
    "ClaudeAuthenticationError",
    "ClaudeClient",
    "ClaudeError",
    "ClaudeNotConfiguredError",
    "ClaudeRateLimitError",
    "ClaudeRequestError",
    "ClaudeResponseError",
    "ClaudeSettings",
    "ClaudeUnavailableError",
    "SpendLimitError",
    "ToolCall",
]
