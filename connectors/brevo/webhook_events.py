"""Brevo webhook deliveries -> typed events (pure: no I/O).

Brevo names an event differently in the delivered payload than in the subscription
(``hardBounce`` is delivered as ``hard_bounce``, marketing ``unsubscribed`` as ``unsubscribe``,
``invalid`` as ``invalid_email``); :data:`EVENT_KINDS` maps every delivered name to one kind.
A batched webhook delivers an array of events; an unbatched one, a single object.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

from pydantic import BaseModel

Kind = Literal[
    "unsubscribed",
    "spam",
    "hard_bounce",
    "soft_bounce",
    "blocked",
    "invalid",
    "delivered",
    "contact_deleted",
    "list_addition",
    "other",
]

#: Delivered event name (lower case, ``-``/`` `` as ``_``) -> kind.
EVENT_KINDS: Final[dict[str, Kind]] = {
    "unsubscribe": "unsubscribed",
    "unsubscribed": "unsubscribed",
    "spam": "spam",
    "hard_bounce": "hard_bounce",
    "hardbounce": "hard_bounce",
    "soft_bounce": "soft_bounce",
    "softbounce": "soft_bounce",
    "blocked": "blocked",
    "invalid": "invalid",
    "invalid_email": "invalid",
    "delivered": "delivered",
    "contact_deleted": "contact_deleted",
    "contactdeleted": "contact_deleted",
    "list_addition": "list_addition",
    "listaddition": "list_addition",
}

#: Kinds after which the person must get no marketing email: they are excluded from every list push.
OPT_OUT_KINDS: Final[frozenset[str]] = frozenset({"unsubscribed", "spam", "hard_bounce", "contact_deleted"})
#: Kinds that settle an invitation email's delivery, and the invitation status each gives.
DELIVERY_STATUSES: Final[dict[str, str]] = {
    "delivered": "delivered",
    "hard_bounce": "bounced",
    "soft_bounce": "bounced",
    "invalid": "bounced",
    "blocked": "blocked",
    "spam": "blocked",
    "unsubscribed": "blocked",
}


class BrevoEvent(BaseModel):
    """One Brevo event: who, what, and the transactional message it is about (if any)."""

    email: str
    kind: Kind
    name: str
    message_id: str | None = None
    reason: str | None = None
    list_ids: list[int] = []


def _kind(name: str) -> Kind:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    return EVENT_KINDS.get(key, EVENT_KINDS.get(key.replace("_", ""), "other"))


def _event(item: dict[str, Any]) -> BrevoEvent:
    raw_lists = item.get("list_id") or item.get("list_ids") or []
    lists = raw_lists if isinstance(raw_lists, list) else [raw_lists]
    message = item.get("message-id") or item.get("message_id") or item.get("messageId")
    return BrevoEvent(
        email=str(item["email"]).strip().lower(),
        kind=_kind(str(item["event"])),
        name=str(item["event"]),
        message_id=str(message) if message else None,
        reason=str(item["reason"]) if item.get("reason") else None,
        list_ids=[int(x) for x in lists if str(x).strip().isdigit()],
    )


def parse_brevo_events(body: bytes) -> list[BrevoEvent]:
    """The events of one stored delivery; ValueError (with why) when it is not Brevo's shape."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(i, dict) and i.get("event") and i.get("email") for i in items):
        raise ValueError("not a Brevo event: every item needs an event and an email")
    return [_event(i) for i in items]
