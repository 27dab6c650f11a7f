"""Events the Brevo twin sends on demand: the contact changes as in Brevo, then the webhooks hear of it.

``POST /brevo/_sandbox/events`` ``{"kind": "unsubscribed", "email": "...", "list_ids": [2]}``
(no API key: a sandbox admin route, like ``/_sandbox`` itself; ``engarde sandbox brevo-event``
calls it). ``kind`` is a subscription name (``unsubscribed``, ``hardBounce``, ``spam``,
``contactDeleted``, ``listAddition``, ``delivered``, ...). First the contact changes the way
Brevo changes it, so the twin and the event agree:

- ``unsubscribed``, ``hardBounce``, ``spam``: the contact is blocklisted for email (Brevo
  blocklists a contact who unsubscribes from a campaign, hard-bounces or complains; help.brevo.com
  "blocklisted contacts");
- ``contactDeleted``: the contact is gone (not counted in ``deleted``, which records the
  project's own deletions);
- ``listAddition``: the contact joins ``list_ids`` (the master list when none is given);
- anything else (``delivered``, ``softBounce``, ``opened``, ...) changes nothing.

Then every webhook subscribed to ``kind`` receives the event in Brevo's shape
(:func:`sandbox.brevo.webhooks.deliver`). The answer lists the receivers' status codes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.brevo.endpoint import Endpoint
from sandbox.brevo.shapes import contact_json, error_response
from sandbox.brevo.state import BrevoState
from sandbox.brevo.webhooks import MARKETING_EVENTS, TRANSACTIONAL_EVENTS, deliver

BLOCKLISTING = frozenset({"unsubscribed", "hardBounce", "spam"})
KINDS = MARKETING_EVENTS | TRANSACTIONAL_EVENTS


def apply_event(state: BrevoState, kind: str, email: str, list_ids: list[int]) -> dict[str, Any] | None:
    """Change the contact as Brevo does for ``kind``; the contact afterwards (None if none)."""
    contact = state.contacts.get(email)
    if contact is None:
        return None
    if kind in BLOCKLISTING:
        contact["emailBlacklisted"] = True
    elif kind == "contactDeleted":
        state.contacts.pop(email)
        return None
    elif kind == "listAddition":
        contact["listIds"].update(list_ids)
    contact["modifiedAt"] = state.clock()
    return contact_json(contact)


def events_endpoint(state: BrevoState) -> Endpoint:
    """The admin route that sends one event (see the module docstring)."""

    async def send_event(request: Request) -> Response:
        try:
            body = await request.json()
            kind, email = str(body["kind"]), str(body["email"]).strip().lower()
            list_ids = [int(x) for x in body.get("list_ids") or [state.master_list_id or 2]]
        except (ValueError, KeyError, TypeError, AttributeError):
            return error_response("bad_request", "give kind, email and optionally list_ids", 400)
        if kind not in KINDS:
            return error_response("invalid_parameter", f"kind must be one of {', '.join(sorted(KINDS))}", 400)
        known = email in state.contacts
        contact = apply_event(state, kind, email, list_ids)
        statuses = await asyncio.to_thread(deliver, state.webhooks, kind, email, list_ids=list_ids)
        return JSONResponse(
            {"kind": kind, "email": email, "known": known, "contact": contact, "delivered": statuses}
        )

    return send_event
