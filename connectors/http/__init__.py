"""The one HTTP mechanism every connector uses; import its public names from here.

- :mod:`~connectors.http.errors`: the error tree (:class:`ConnectorError` and its subclasses).
- :mod:`~connectors.http.retry`: :class:`RetryPolicy` and the one retry loop
  (:func:`call_with_policy`), used by raw HTTP and by SDK calls alike.
- :mod:`~connectors.http.limiter`: per-provider request budgets (:class:`RateLimiter`).
- :mod:`~connectors.http.client`: :class:`HttpClient`, one provider's async HTTP client.
- :mod:`~connectors.http.paging`: the :class:`Paginator` protocol, its three strategies and
  the one driver :func:`iter_pages`.
- :mod:`~connectors.http.waits`: long waits announced and capped per run.
"""

from connectors.http.client import JSON, ErrorParser, HttpClient, default_error_parser
from connectors.http.errors import (
    AuthenticationError,
    ClientError,
    ConnectorError,
    NotFoundError,
    PaginationError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    WaitCapReached,
)
from connectors.http.limiter import BudgetSharing, RateLimiter, share_budgets, shared_limiter
from connectors.http.paging import (
    ContinuationPaginator,
    NextPageTokenPaginator,
    PageNumberPaginator,
    Paginator,
    Params,
    iter_pages,
)
from connectors.http.retry import (
    IDEMPOTENT_METHODS,
    RETRY_STATUSES,
    CallStats,
    RetryPolicy,
    call_with_policy,
    parse_retry_after,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "JSON",
    "RETRY_STATUSES",
    "AuthenticationError",
    "BudgetSharing",
    "CallStats",
    "ClientError",
    "ConnectorError",
    "ContinuationPaginator",
    "ErrorParser",
    "HttpClient",
    "NextPageTokenPaginator",
    "NotFoundError",
    "PageNumberPaginator",
    "PaginationError",
    "Paginator",
    "Params",
    "RateLimitError",
    "RateLimiter",
    "ResponseValidationError",
    "RetryPolicy",
    "ServerError",
    "WaitCapReached",
    "call_with_policy",
    "default_error_parser",
    "iter_pages",
    "parse_retry_after",
    "share_budgets",
    "shared_limiter",
]
