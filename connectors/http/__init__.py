"""The one HTTP mechanism every connector uses; import its public names from here.

- :mod:`~connectors.http.errors`: the error tree (:class:`ConnectorError` and its subclasses).
- :mod:`~connectors.http.status`: the one HTTP status → error class mapping, ``Retry-After`` hints.
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
    Convert,
    RetryPolicy,
    call_with_policy,
)
from connectors.http.status import error_class, parse_retry_after, request_id, status_error
from connectors.http.waits import WaitSettings, log_waits_with, wait_logger

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
    "Convert",
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
    "WaitSettings",
    "call_with_policy",
    "default_error_parser",
    "error_class",
    "iter_pages",
    "log_waits_with",
    "parse_retry_after",
    "request_id",
    "share_budgets",
    "shared_limiter",
    "status_error",
    "wait_logger",
]
