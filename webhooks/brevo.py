"""Brevo's webhooks (marketing and transactional events): authenticate -> store raw -> 2xx.

Brevo does not sign its webhooks; it authenticates with the token given when the webhook is
created (``auth: {"type": "bearer", "token": ...}``, sent as ``Authorization: Bearer <token>``).
Per delivery, in this order:

1. token: the ``Authorization`` bearer token must equal ``BREVO_WEBHOOK_TOKEN`` (compared in
   constant time); missing, wrong, or no token configured -> 401, nothing stored. Checked
   first so that nobody without it can make the receiver read a body.
2. size and time: over ``RECEIVER_MAX_BODY_BYTES`` -> 413; not arrived within
   ``RECEIVER_BODY_TIMEOUT`` -> 408.
3. shape: the body must be a JSON object with an ``event`` and an ``email`` (or, for batched
   webhooks, a non-empty array of such objects); anything else -> 400, nothing stored.
4. store the raw body under provider ``brevo`` with a dedupe key (the sha256 of the canonical
   JSON: Brevo sends no delivery id, and a redelivery repeats the same event) -> 202 when new,
   200 when already stored; 503 when it could not be committed, so Brevo retries.

What the events mean (consent, bounces) is the job of a flow that reads the stored deliveries.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from webhooks.state import ReceiverState, answer, read_capped, unavailable
from webhooks.writer import StorageUnavailable

log = logging.getLogger(__name__)

PROVIDER = "brevo"
WEBHOOK_PATH = "/api/webhooks/brevo"


class BrevoWebhookSettings(BaseSettings):
    """The token Brevo's webhooks authenticate with (``BREVO_WEBHOOK_TOKEN``) and where they post to."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    brevo_webhook_token: SecretStr | None = Field(
        default=None,
        description="bearer token given to Brevo when its webhooks are created; deliveries without it "
        "get 401 (unset: every Brevo delivery is refused)",
    )
    brevo_webhook_url: str | None = Field(
        default=None,
        description="the receiver's `POST /api/webhooks/brevo` as Brevo reaches it (e.g. "
        "`https://hooks.example.org/api/webhooks/brevo`); `engarde setup` registers Brevo's marketing and "
        "transactional webhooks there (unset: that step is skipped)",
    )


def _events(payload: Any) -> list[dict[str, Any]] | None:
    """The delivery's events (one object, or a batched array), or None when it is not Brevo's shape."""
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(i, dict) and i.get("event") and i.get("email") for i in items):
        return None
    return items


def brevo_dedupe_key(payload: Any) -> str:
    """``sha256:<hex>`` of the payload's canonical JSON (key order and spacing do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _refuse(status: int, reason: str) -> Response:
    log.info("refused a Brevo webhook delivery: %s", reason)
    return answer(status, {"status": "rejected", "reason": reason})


async def receive_brevo(request: Request, state: ReceiverState, token: str | None) -> Response:
    """Authenticate and store one Brevo delivery; see the module docstring for the order of checks."""
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if token is None or scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        return _refuse(401, "bad_token")
    limit = state.settings.receiver_max_body_bytes
    try:
        async with asyncio.timeout(state.settings.receiver_body_timeout):
            body = await read_capped(request, limit)
    except TimeoutError:
        return _refuse(408, "body_timeout")
    except ClientDisconnect:
        return _refuse(400, "disconnected")
    if body is None:
        return _refuse(413, "too_large")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _refuse(400, "malformed_json")
    if _events(payload) is None:
        return _refuse(400, "not_a_brevo_event")
    key = brevo_dedupe_key(payload)
    try:
        new = await state.writer.store_raw(
            provider=PROVIDER, event_key=key, body=body, headers=request.headers
        )
    except StorageUnavailable:
        return unavailable()
    return answer(202 if new else 200, {"status": "accepted" if new else "duplicate", "key": key})


def add_brevo_route(app: FastAPI, settings: BrevoWebhookSettings | None = None) -> None:
    """Register ``POST /api/webhooks/brevo`` on the receiver app (it shares the app's writer)."""
    secret = (settings or BrevoWebhookSettings()).brevo_webhook_token
    token = secret.get_secret_value() if secret is not None and secret.get_secret_value() else None
    if token is None:
        log.warning("BREVO_WEBHOOK_TOKEN is not set: every Brevo webhook delivery will be refused (401)")

    async def brevo_webhook(request: Request) -> Response:
        return await receive_brevo(request, request.app.state.receiver, token)

    app.router.routes.append(Route(WEBHOOK_PATH, brevo_webhook, methods=["POST"]))
