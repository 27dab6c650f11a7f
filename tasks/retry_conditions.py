"""When a failed extraction task is worth a Prefect retry (``retry_condition_fn``).

The HTTP layer already retries each request (connect errors, 5xx, 429 with its wait); a task
retry adds one more attempt after a long delay. That helps only when the provider's rate
limit stopped the task; wrong credentials are refused again and just delay the sentence the
admin needs.
"""

from __future__ import annotations

from typing import Any

from connectors.http import AuthenticationError, RateLimitError


def only_rate_limits(_task: Any, _run: Any, state: Any) -> bool:
    """Retry only when the provider's rate limit stopped the task."""
    return isinstance(state.data, RateLimitError)


def unless_refused(_task: Any, _run: Any, state: Any) -> bool:
    """Retry anything but refused credentials."""
    return not isinstance(state.data, AuthenticationError)
