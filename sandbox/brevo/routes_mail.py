"""The Brevo twin's webhooks (create, list, update) and transactional email (``POST /smtp/email``).

Shapes and delivery of webhook events: :mod:`sandbox.brevo.webhooks`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.brevo.endpoint import Twin
from sandbox.brevo.shapes import ApiError
from sandbox.brevo.webhooks import WebhookError, validate_webhook


async def get_webhooks(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /webhooks`` (``type`` filters)."""
    kind = request.query_params.get("type")
    found = [{"id": i, **h} for i, h in sorted(twin.state.webhooks.items()) if kind in (None, h["type"])]
    return JSONResponse({"webhooks": found})


async def create_webhook(twin: Twin, _: Request, body: Any) -> Response:
    """``POST /webhooks``: 201 ``{"id"}``."""
    try:
        hook = validate_webhook(body or {}, len(twin.state.webhooks))
    except WebhookError as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from exc
    webhook_id = twin.state.next_id("webhook")
    twin.state.webhooks[webhook_id] = hook
    return JSONResponse({"id": webhook_id}, status_code=201)


async def update_webhook(twin: Twin, request: Request, body: Any) -> Response:
    """``PUT /webhooks/{id}``: 204; the creation time stays."""
    webhook_id = int(request.path_params["webhook_id"])
    if webhook_id not in twin.state.webhooks:
        raise ApiError(404, "document_not_found", "Webhook does not exist")
    current = twin.state.webhooks[webhook_id]
    try:
        merged = validate_webhook({**current, **(body or {})}, 0)
    except WebhookError as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from exc
    twin.state.webhooks[webhook_id] = {**merged, "createdAt": current["createdAt"]}
    return Response(status_code=204)


def _missing(body: dict[str, Any]) -> str | None:
    """The first required field of a transactional email that is missing, in Brevo's words."""
    to = body.get("to") or []
    if not to or not all(isinstance(t, dict) and t.get("email") for t in to):
        return "to is missing"
    if body.get("templateId") is not None:
        return None
    if not (body.get("sender") or {}).get("email"):
        return "sender is missing"
    if not body.get("subject"):
        return "subject is missing"
    if not (body.get("htmlContent") or body.get("textContent")):
        return "htmlContent or textContent is missing"
    return None


async def send_email(twin: Twin, _: Request, body: Any) -> Response:
    """``POST /smtp/email``: 201 ``{"messageId"}``; the email is kept in ``emails_sent``."""
    body = body or {}
    if (missing := _missing(body)) is not None:
        raise ApiError(400, "missing_parameter", missing)
    message_id = f"<{uuid.UUID(int=twin.rng.getrandbits(128))}@smtp-relay.mailin.fr>"
    twin.state.emails_sent.append({"messageId": message_id, "receivedAt": time.time(), **body})
    return JSONResponse({"messageId": message_id}, status_code=201)
