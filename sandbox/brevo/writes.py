"""Brevo twin: updating contacts in place (``PUT /contacts/{identifier}``, ``POST /contacts/batch``).

Both follow the update fields of Brevo's definition (``updateContact``; batch items carry
``email`` or ``id`` besides): ``attributes`` (unknown names ignored, wrongly typed values
ignored and counted in ``type_errors``, as for ``POST /contacts``), ``emailBlacklisted``
(``true`` blocklists, ``false`` un-blocklists: why the project never sends it),
``listIds`` added and ``unlinkListIds`` removed. Adding to a list the contact unsubscribed
from is recorded as a consent violation, as everywhere in the twin. Also here: the answer
to any path or method the twin does not serve, in Brevo's JSON shape (404
``document_not_found``) instead of a plain-text page.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.brevo.endpoint import Twin
from sandbox.brevo.shapes import ApiError, typed
from sandbox.brevo.state import BrevoState

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
#: Brevo's documented ceiling for one ``POST /contacts/batch`` call is not given; the twin's.
BATCH_LIMIT = 100


async def unknown_route(_: Twin, request: Request, __: Any) -> Response:
    """A path or method the twin does not serve (also ``/contacts/lists/abc``)."""
    return JSONResponse(
        {"code": "document_not_found", "message": f"{request.method} {request.url.path} not found"},
        status_code=404,
    )


def update_one(state: BrevoState, contact: dict[str, Any], body: dict[str, Any], *, via: str) -> None:
    """Apply one update body to ``contact`` (types already checked by :mod:`sandbox.brevo.validation`)."""
    for list_id in [*(body.get("listIds") or []), *(body.get("unlinkListIds") or [])]:
        if int(list_id) not in state.lists:
            raise ApiError(400, "invalid_parameter", f"List ID {list_id} does not exist")
    for name, value in (body.get("attributes") or {}).items():
        spec = state.attributes.get(str(name).upper())
        if spec is None:
            continue  # unknown attributes are ignored
        ok, stored = typed(spec.get("type"), value)
        if not ok:
            state.type_errors.append({"email": contact["email"], "attribute": spec["name"], "value": value})
            continue
        contact["attributes"][spec["name"]] = stored
    if "emailBlacklisted" in body:
        contact["emailBlacklisted"] = bool(body["emailBlacklisted"])
    for list_id in body.get("listIds") or []:
        if list_id in contact["listUnsubscribed"]:
            state.consent_violations.append(
                {"email": contact["email"], "list_id": list_id, "kind": "unsubscribed", "via": via}
            )
        contact["listIds"].add(list_id)
    for list_id in body.get("unlinkListIds") or []:
        contact["listIds"].discard(list_id)
    contact["modifiedAt"] = time.time()


def update_batch(state: BrevoState, body: dict[str, Any]) -> Response:
    """``POST /contacts/batch``: every item updated by ``email`` or ``id``; 204.

    An item naming no known contact makes the whole call a 400 ``invalid_parameter``
    before anything is written, so a batch is applied entirely or not at all.
    """
    items = body.get("contacts")
    if not items:
        raise ApiError(400, "missing_parameter", "contacts is missing")
    if len(items) > BATCH_LIMIT:
        raise ApiError(400, "out_of_range", f"You can pass a maximum of {BATCH_LIMIT} contacts")
    by_id = {c["id"]: c for c in state.contacts.values()}
    found = []
    for index, item in enumerate(items):
        contact = state.contacts.get(str(item.get("email") or "").strip().lower()) or by_id.get(
            item.get("id")
        )
        if contact is None:
            raise ApiError(400, "invalid_parameter", f"contacts/{index}: contact does not exist")
        found.append((contact, item))
    for contact, item in found:
        update_one(state, contact, item, via="batch")
    return Response(status_code=204)
