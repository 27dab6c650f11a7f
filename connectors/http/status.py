"""What a failed answer means: the one HTTP status → error class mapping, and the wait it asks for.

Every connector builds its errors here, whether it reads an ``httpx.Response`` itself or gets
an SDK's exception (Brevo, Anthropic): 401/403 (or a provider's auth error code) is an
:class:`AuthenticationError`, 404 (or a not-found code) :class:`NotFoundError`, 429
:class:`RateLimitError`, 5xx :class:`ServerError`, any other refusal :class:`ClientError`. The
``Retry-After`` family of headers becomes the error's ``retry_after``.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from connectors.http.errors import (
    AuthenticationError,
    ClientError,
    ConnectorError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

#: Headers that carry a provider's request id, first found wins.
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-zm-trackingid", "x-eventbrite-request-id", "cf-ray")


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait according to the response headers, or None when they give no hint.

    Understands ``Retry-After`` as seconds, as an HTTP date or as an ISO-8601 datetime
    (Zoom's daily limit), ``retry-after-ms``, and reset headers counting seconds
    (``x-sib-ratelimit-reset`` for Brevo, ``X-RateLimit-Reset`` as seconds or epoch).
    """
    now = time.time() if now is None else now
    lower = {k.lower(): v for k, v in headers.items()}
    if (ms := lower.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (value := lower.get("retry-after")) is not None:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        moment: datetime | None = None
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(0.0, moment.timestamp() - now)
    for name in ("x-sib-ratelimit-reset", "x-ratelimit-reset"):
        if (value := lower.get(name)) is not None:
            try:
                number = float(value)
            except ValueError:
                continue
            # Large values are epoch seconds, small ones a countdown.
            return max(0.0, number - now) if number > 1_000_000_000 else max(0.0, number)
    return None


def request_id(headers: Mapping[str, str]) -> str | None:
    """The provider's id for this request, from the first of :data:`REQUEST_ID_HEADERS` present."""
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    for name in REQUEST_ID_HEADERS:
        if value := lower.get(name):
            return value
    return None


def error_class(
    status: int,
    code: str | None = None,
    *,
    auth_codes: Collection[str] = (),
    not_found_codes: Collection[str] = (),
) -> type[ConnectorError]:
    """The error class for a refused request: by status, or by the provider's error ``code``."""
    if status in (401, 403) or (code is not None and code in auth_codes):
        return AuthenticationError
    if status == 404 or (code is not None and code in not_found_codes):
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return ClientError


_DEFAULT_MESSAGES: dict[type[ConnectorError], str] = {
    AuthenticationError: "not authorized",
    NotFoundError: "not found",
    RateLimitError: "rate limit reached",
    ServerError: "server error",
    ClientError: "request refused",
}


def status_error(
    status: int,
    message: str | None,
    *,
    provider: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    code: str | None = None,
    auth_codes: Collection[str] = (),
    not_found_codes: Collection[str] = (),
    kinds: Mapping[type[ConnectorError], type[ConnectorError]] | None = None,
) -> ConnectorError:
    """The :class:`ConnectorError` for an answer with ``status``, carrying its request id and wait hint.

    ``kinds`` maps a generic class to the provider's own subclass of it (e.g. Claude's errors).
    """
    cls = error_class(status, code, auth_codes=auth_codes, not_found_codes=not_found_codes)
    message = message or _DEFAULT_MESSAGES[cls]
    cls = (kinds or {}).get(cls, cls)
    return cls(
        message,
        provider=provider,
        method=method,
        path=path,
        status=status,
        request_id=request_id(headers),
        code=code,
        retry_after=parse_retry_after(headers),
    )
