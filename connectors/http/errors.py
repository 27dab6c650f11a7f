"""The connectors' one error tree: every failed outside call is a :class:`ConnectorError`.

Each error says which call failed and why, in plain words: provider, method, path, status,
the provider's error code and request id.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A call to an outside service failed; says which call and why, in plain words."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        method: str = "",
        path: str = "",
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.method = method
        self.path = path
        self.status = status
        self.request_id = request_id
        self.code = code
        #: Seconds the provider asked to wait before trying again (``Retry-After``), if it said.
        self.retry_after = retry_after
        #: Attempts made before giving up (set by the retry loop).
        self.attempts = 1
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f" answered {self.status}" if self.status is not None else ""
        code = f" [{self.code}]" if self.code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.provider}: {where}{status}{code}: {self.message}{rid}"


class AuthenticationError(ConnectorError):
    """Credentials missing, wrong or expired (401/403, or the provider's auth error codes)."""


class NotFoundError(ConnectorError):
    """The resource does not exist (404)."""


class RateLimitError(ConnectorError):
    """The provider's rate limit was hit and waiting would exceed the retry budget."""


class WaitCapReached(RateLimitError):
    """A rate-limit wait would pass this run's allowance for the provider (see :mod:`connectors.http.waits`)."""


class ServerError(ConnectorError):
    """The provider failed (5xx) or could not be reached, after every allowed retry."""


class ClientError(ConnectorError):
    """The provider refused the request as invalid (other 4xx)."""


class ResponseValidationError(ConnectorError):
    """The provider answered 2xx with a body that is not what its contract says."""


class PaginationError(ConnectorError):
    """The provider's pagination misbehaved (e.g. the same cursor twice)."""
