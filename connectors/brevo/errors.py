"""Brevo SDK exceptions turned into the project's :class:`ConnectorError` hierarchy."""

from __future__ import annotations

from typing import Any

from brevo.core.api_error import ApiError
from brevo.core.parse_error import ParsingError

from connectors.http import ConnectorError, Convert, ResponseValidationError, request_id, status_error

PROVIDER = "brevo"
#: Brevo's error codes that mean "not authorized" or "not found" whatever the status says.
AUTH_CODES = frozenset({"unauthorized", "permission_denied"})
NOT_FOUND_CODES = frozenset({"document_not_found"})


class AttributeConflictError(ConnectorError):
    """An attribute exists in Brevo with another type than the one this project writes."""

    def __init__(self, conflicts: dict[str, tuple[str, str | None]]) -> None:
        self.conflicts = conflicts
        detail = "; ".join(
            f"{name} is {have or 'untyped'} in Brevo, this project writes {want}"
            for name, (want, have) in sorted(conflicts.items())
        )
        super().__init__(
            f"attribute type conflict, nothing written: {detail}. Change the attribute in Brevo "
            "(Contacts > Settings > Contact attributes) or rename it in this project.",
            provider=PROVIDER,
            method="GET",
            path="/contacts/attributes",
        )


class ImportTooLargeError(ConnectorError):
    """An import body is larger than Brevo accepts (10 MB); chunk it smaller."""


class ProcessTimeoutError(ConnectorError):
    """A Brevo background process did not finish within the allowed time."""


def _code_and_message(body: Any) -> tuple[str | None, str]:
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message") or str(body)[:300]
        return (str(code) if code is not None else None), str(message)
    if hasattr(body, "code") and hasattr(body, "message"):
        return (str(body.code) if body.code else None), str(body.message)
    text = str(body or "").strip()
    return None, text[:300]


def convert_api_error(method: str, path: str) -> Convert:
    """A converter for :func:`connectors.http.call_with_policy`: SDK ApiError → ConnectorError."""

    def convert(exc: Exception) -> ConnectorError | None:
        if isinstance(exc, ParsingError):
            return ResponseValidationError(
                f"answer does not match the SDK's model: {str(exc)[:200]}",
                provider=PROVIDER,
                method=method,
                path=path,
            )
        if not isinstance(exc, ApiError):
            return None
        status = exc.status_code
        headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
        code, message = _code_and_message(exc.body)
        if status is None or status < 400:
            return ResponseValidationError(
                f"unexpected answer: {message}",
                provider=PROVIDER,
                method=method,
                path=path,
                status=status,
                code=code,
                request_id=request_id(headers),
            )
        return status_error(
            status,
            message,
            provider=PROVIDER,
            method=method,
            path=path,
            headers=headers,
            code=code,
            auth_codes=AUTH_CODES,
            not_found_codes=NOT_FOUND_CODES,
        )

    return convert
