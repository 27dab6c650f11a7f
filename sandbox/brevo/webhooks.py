"""The Brevo twin's webhooks: ``/v3/webhooks`` (create, list, update) and event delivery in Brevo's shapes.

Shapes follow Brevo's marketing and transactional webhook pages and api-notes §5: a webhook is
created with ``url``, ``events`` (subscription names such as ``hardBounce``), ``type``
(``marketing`` | ``transactional``), ``description`` and ``auth`` (``{"type": "bearer",
"token"}``, sent back as ``Authorization: Bearer <token>``); at most 40 per account. A delivered
payload names its event differently from the subscription (``hardBounce`` -> ``hard_bounce``,
marketing ``unsubscribed`` -> ``unsubscribe``, ``invalid`` -> ``invalid_email``). Deliveries are
not signed.
"""

from __future__ import annotations

import time
from typing import Any, Final

import httpx

MAX_WEBHOOKS: Final = 40
MARKETING_EVENTS: Final = frozenset(
    {
        "spam",
        "opened",
        "click",
        "hardBounce",
        "softBounce",
        "delivered",
        "unsubscribed",
        "listAddition",
        "contactUpdated",
        "contactDeleted",
    }
)
TRANSACTIONAL_EVENTS: Final = frozenset(
    {
        "sent",
        "hardBounce",
        "softBounce",
        "blocked",
        "spam",
        "delivered",
        "request",
        "click",
        "invalid",
        "deferred",
        "opened",
        "uniqueOpened",
        "unsubscribed",
    }
)
#: (webhook type, subscription name) -> the event name Brevo puts in the delivered payload.
DELIVERED_NAMES: Final[dict[tuple[str, str], str]] = {
    ("marketing", "unsubscribed"): "unsubscribe",
    ("marketing", "hardBounce"): "hard_bounce",
    ("marketing", "softBounce"): "soft_bounce",
    ("marketing", "contactDeleted"): "contact_deleted",
    ("marketing", "listAddition"): "list_addition",
    ("marketing", "spam"): "spam",
    ("marketing", "delivered"): "delivered",
    ("transactional", "hardBounce"): "hard_bounce",
    ("transactional", "softBounce"): "soft_bounce",
    ("transactional", "invalid"): "invalid_email",
    ("transactional", "blocked"): "blocked",
    ("transactional", "spam"): "spam",
    ("transactional", "delivered"): "delivered",
    ("transactional", "unsubscribed"): "unsubscribed",
}


class WebhookError(ValueError):
    """A webhook request Brevo would refuse (400)."""


def validate_webhook(body: dict[str, Any], existing: int) -> dict[str, Any]:
    """The stored form of a ``POST /v3/webhooks`` body; WebhookError with Brevo's reason otherwise."""
    kind = body.get("type", "transactional")
    allowed = {"marketing": MARKETING_EVENTS, "transactional": TRANSACTIONAL_EVENTS}.get(str(kind))
    events = body.get("events")
    if not body.get("url") or not isinstance(events, list) or not events:
        raise WebhookError("url and events are required")
    if allowed is None or not set(events) <= allowed:
        raise WebhookError(f"invalid events for a {kind} webhook: {sorted(set(events) - (allowed or set()))}")
    if existing >= MAX_WEBHOOKS:
        raise WebhookError(f"you can create at most {MAX_WEBHOOKS} webhooks")
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {
        "url": str(body["url"]),
        "events": list(events),
        "type": kind,
        "description": str(body.get("description") or ""),
        "auth": body.get("auth"),
        "batched": bool(body.get("batched", False)),
        "createdAt": now,
        "modifiedAt": now,
    }


def payload(
    kind: str, name: str, email: str, *, message_id: str | None, list_ids: list[int]
) -> dict[str, Any]:
    """One event as Brevo delivers it (``kind``: the webhook type, ``name``: the delivered event name)."""
    now = int(time.time())
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
    if kind == "marketing":
        return {
            "id": 1,
            "camp_id": 1,
            "email": email,
            "campaign name": "Sandbox campaign",
            "date_sent": when,
            "date_event": when,
            "event": name,
            "tag": "",
            "ts_sent": now,
            "ts_event": now,
            "list_id": list_ids,
        }
    return {
        "event": name,
        "email": email,
        "id": 1,
        "date": when,
        "ts": now,
        "message-id": message_id or f"<{now}.sandbox@smtp-relay.mailin.fr>",
        "ts_event": now,
        "subject": "En Garde",
        "tag": "",
        "sending_ip": "127.0.0.1",
        "ts_epoch": now * 1000,
    }


def deliver(
    webhooks: dict[int, dict[str, Any]],
    subscription: str,
    email: str,
    *,
    message_id: str | None = None,
    list_ids: list[int] | None = None,
    client: httpx.Client | None = None,
) -> list[int]:
    """POST the event to every webhook subscribed to ``subscription``; returns the answers' status codes.

    A webhook that does not answer (refused connection, timeout) gets 0 and the others still
    get the event. A given ``client`` is left open for the caller.
    """
    statuses: list[int] = []
    http = client or httpx.Client(timeout=10)
    try:
        for hook in list(webhooks.values()):
            if subscription not in hook["events"]:
                continue
            name = DELIVERED_NAMES.get((hook["type"], subscription), subscription)
            event = payload(hook["type"], name, email, message_id=message_id, list_ids=list_ids or [])
            headers = {}
            auth = hook.get("auth") or {}
            if auth.get("type") == "bearer" and auth.get("token"):
                headers["Authorization"] = f"Bearer {auth['token']}"
            body = [event] if hook["batched"] else event
            try:
                statuses.append(http.post(hook["url"], json=body, headers=headers).status_code)
            except httpx.HTTPError:
                statuses.append(0)
    finally:
        if client is None:
            http.close()
    return statuses
