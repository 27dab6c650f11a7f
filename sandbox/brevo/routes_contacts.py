"""The Brevo twin's contacts: list, read, create, update (one or a batch), delete."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.brevo.endpoint import Twin, list_or_404, page
from sandbox.brevo.shapes import ApiError, contact_json, parse_when, typed
from sandbox.brevo.state import BrevoState, new_contact
from sandbox.brevo.validation import EMAIL
from sandbox.brevo.writes import update_batch, update_one


def select_contacts(request: Request, pool: list[dict[str, Any]], maximum: int, default: int) -> Response:
    """One page of ``pool`` filtered by ``modifiedSince`` / ``createdSince``, sorted by creation."""
    limit, offset, sort = page(request, default=default, maximum=maximum)
    for param, key in (("modifiedSince", "modifiedAt"), ("createdSince", "createdAt")):
        if value := request.query_params.get(param):
            try:
                since = parse_when(value)
            except ValueError as exc:
                raise ApiError(400, "invalid_parameter", f"{param} is not a valid date-time") from exc
            pool = [c for c in pool if c[key] >= since]
    pool.sort(key=lambda c: (c["createdAt"], c["id"]), reverse=sort != "asc")
    rows = [contact_json(c) for c in pool[offset : offset + limit]]
    return JSONResponse({"contacts": rows, "count": len(pool)})


async def get_contacts(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /contacts`` (at most 1,000 a page; ``listIds`` filters)."""
    pool = list(twin.state.contacts.values())
    if list_ids := request.query_params.get("listIds"):
        wanted = {int(x) for x in list_ids.split(",") if x}
        pool = [c for c in pool if c["listIds"] & wanted]
    return select_contacts(request, pool, maximum=1000, default=50)


async def get_list_contacts(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /contacts/lists/{id}/contacts`` (at most 500 a page)."""
    list_id = list_or_404(twin.state, request)
    return select_contacts(request, twin.state.members(list_id), maximum=500, default=50)


def find_contact(state: BrevoState, request: Request) -> dict[str, Any]:
    """The contact the path names (email, or id with ``identifierType=contact_id`` or digits)."""
    identifier = str(request.path_params["identifier"]).strip()
    kind = request.query_params.get("identifierType")
    contact: dict[str, Any] | None
    if kind == "contact_id" or (kind is None and identifier.isdigit()):
        contact = next((c for c in state.contacts.values() if str(c["id"]) == identifier), None)
    else:
        contact = state.contacts.get(identifier.lower())
    if contact is None:
        raise ApiError(404, "document_not_found", "Contact does not exist")
    return contact


async def get_contact(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /contacts/{identifier}``."""
    return JSONResponse({**contact_json(find_contact(twin.state, request)), "statistics": {}})


async def batch(twin: Twin, _: Request, body: Any) -> Response:
    """``POST /contacts/batch`` (:func:`sandbox.brevo.writes.update_batch`)."""
    return update_batch(twin.state, body or {})


async def update_contact(twin: Twin, request: Request, body: Any) -> Response:
    """``PUT /contacts/{identifier}`` (:func:`sandbox.brevo.writes.update_one`)."""
    update_one(twin.state, find_contact(twin.state, request), body or {}, via="update")
    return Response(status_code=204)


def _typed_attributes(state: BrevoState, email: str, given: dict[str, Any]) -> dict[str, Any]:
    """Known attributes of the right type; a wrong type is ignored, as Brevo documents, and recorded."""
    attrs: dict[str, Any] = {}
    for name, value in given.items():
        spec = state.attributes.get(str(name).upper())
        if spec is None:
            continue
        ok, stored = typed(spec.get("type"), value)
        if not ok:
            state.type_errors.append({"email": email.lower(), "attribute": spec["name"], "value": value})
            continue
        attrs[spec["name"]] = stored
    return attrs


def _join(state: BrevoState, contact: dict[str, Any], list_ids: list[Any]) -> None:
    for list_id in list_ids:
        if int(list_id) not in state.lists:
            raise ApiError(400, "invalid_parameter", f"List ID {list_id} does not exist")
        if int(list_id) in contact["listUnsubscribed"]:
            violation = {"email": contact["email"], "list_id": int(list_id), "kind": "unsubscribed"}
            state.consent_violations.append({**violation, "via": "create"})
        contact["listIds"].add(int(list_id))


async def create_contact(twin: Twin, _: Request, body: Any) -> Response:
    """``POST /contacts``: 201 ``{"id"}``, or 204 for an existing contact with ``updateEnabled``."""
    state, body = twin.state, body or {}
    email = str(body.get("email") or "").strip()
    if not EMAIL.match(email):
        raise ApiError(400, "invalid_parameter", "Invalid email address")
    attrs = _typed_attributes(state, email, body.get("attributes") or {})
    existing = state.contacts.get(email.lower())
    if existing is not None and not body.get("updateEnabled"):
        raise ApiError(400, "duplicate_parameter", "Contact already exist")
    contact = existing or new_contact(state, email.lower(), time.time())
    contact["attributes"].update(attrs)
    if "emailBlacklisted" in body:  # true blocklists, false un-blocklists: why we never send it
        contact["emailBlacklisted"] = bool(body["emailBlacklisted"])
    _join(state, contact, body.get("listIds") or [])
    contact["modifiedAt"] = time.time()
    state.contacts[contact["email"]] = contact
    if existing is not None:
        return Response(status_code=204)
    return JSONResponse({"id": contact["id"]}, status_code=201)


async def delete_contact(twin: Twin, request: Request, _: Any) -> Response:
    """``DELETE /contacts/{identifier}`` (recorded in ``deleted``)."""
    contact = find_contact(twin.state, request)
    twin.state.contacts.pop(contact["email"], None)
    twin.state.deleted.append(contact["email"])
    return Response(status_code=204)
