"""The Brevo twin's account, attributes, folders and lists (adding to and removing from a list)."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.brevo.endpoint import Twin, list_or_404, page
from sandbox.brevo.shapes import ApiError, list_json, now_iso
from sandbox.brevo.state import BrevoState

LIST_CHANGE_LIMIT = 150
NORMAL_TYPES = ("text", "date", "float", "boolean", "multiple-choice", "user")
CATEGORIES = ("normal", "transactional", "category", "calculated", "global")
ACCOUNT = {
    "organization_id": "sandbox-org",
    "user_id": 1,
    "enterprise": False,
    "email": "sandbox@engarde.example",
    "firstName": "Sandbox",
    "lastName": "Owner",
    "companyName": "En Garde (sandbox)",
    "address": {"street": "", "city": "", "zipCode": "", "country": ""},
    "plan": [{"type": "free", "creditsType": "sendLimit", "credits": 300}],
    "relay": {
        "enabled": True,
        "data": {"userName": "sandbox@engarde.example", "relay": "smtp-relay.brevo.com", "port": 587},
    },
    "marketingAutomation": {"enabled": False},
}


async def account(_: Twin, __: Request, ___: Any) -> Response:
    """``GET /account``."""
    return JSONResponse(ACCOUNT)


async def get_attributes(twin: Twin, _: Request, __: Any) -> Response:
    """``GET /contacts/attributes``."""
    return JSONResponse({"attributes": list(twin.state.attributes.values())})


async def create_attribute(twin: Twin, request: Request, body: Any) -> Response:
    """``POST /contacts/attributes/{category}/{name}``: 400 ``duplicate_parameter`` if it exists."""
    category = request.path_params["category"]
    name = str(request.path_params["name"]).upper()
    kind = (body or {}).get("type", "text")
    if category not in CATEGORIES:
        raise ApiError(400, "invalid_parameter", "Invalid attribute category")
    if category == "normal" and kind not in NORMAL_TYPES:
        raise ApiError(400, "invalid_parameter", f"Invalid attribute type {kind!r} for category normal")
    if name in twin.state.attributes:
        raise ApiError(400, "duplicate_parameter", "Attribute name must be unique")
    twin.state.attributes[name] = {"name": name, "category": category, "type": kind}
    return Response(status_code=201)


async def get_folders(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /contacts/folders`` (at most 50 a page)."""
    limit, offset, sort = page(request, default=10, maximum=50)
    ids = sorted(twin.state.folders, reverse=sort == "desc")
    counts = {"totalBlacklisted": 0, "totalSubscribers": 0, "uniqueSubscribers": 0}
    rows = [{"id": i, "name": twin.state.folders[i], **counts} for i in ids[offset : offset + limit]]
    return JSONResponse({"count": len(ids), "folders": rows})


async def create_folder(twin: Twin, _: Request, body: Any) -> Response:
    """``POST /contacts/folders``."""
    name = str((body or {}).get("name") or "").strip()
    if not name:
        raise ApiError(400, "missing_parameter", "name is missing")
    folder_id = twin.state.next_id("folder")
    twin.state.folders[folder_id] = name
    return JSONResponse({"id": folder_id}, status_code=201)


async def get_lists(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /contacts/lists`` (at most 50 a page)."""
    limit, offset, sort = page(request, default=10, maximum=50)
    ids = sorted(twin.state.lists, reverse=sort == "desc")
    rows = [list_json(twin.state, i) for i in ids[offset : offset + limit]]
    return JSONResponse({"count": len(ids), "lists": rows})


async def create_list(twin: Twin, _: Request, body: Any) -> Response:
    """``POST /contacts/lists`` in an existing folder."""
    body = body or {}
    name = str(body.get("name") or "").strip()
    if not name or body.get("folderId") is None:
        raise ApiError(400, "missing_parameter", "name and folderId are required")
    if int(body["folderId"]) not in twin.state.folders:
        raise ApiError(400, "invalid_parameter", "Folder ID does not exist")
    list_id = twin.state.next_id("list", start=2)
    twin.state.lists[list_id] = {
        "id": list_id,
        "name": name,
        "folderId": int(body["folderId"]),
        "createdAt": time.time(),
    }
    return JSONResponse({"id": list_id}, status_code=201)


async def get_list(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /contacts/lists/{id}``."""
    list_id = list_or_404(twin.state, request)
    out = list_json(twin.state, list_id)
    created = now_iso(twin.state.lists[list_id]["createdAt"])
    return JSONResponse(out | {"createdAt": created, "campaignStats": [], "dynamicList": False})


async def delete_list(twin: Twin, request: Request, _: Any) -> Response:
    """``DELETE /contacts/lists/{id}``, as an admin does by hand: the list goes, its contacts stay.

    A contact's unsubscription from it stays in its record (``listUnsubscribed``), as history.
    """
    list_id = list_or_404(twin.state, request)
    del twin.state.lists[list_id]
    for contact in twin.state.contacts.values():
        contact["listIds"].discard(list_id)
    return Response(status_code=204)


def _list_change_items(state: BrevoState, list_id: int, body: dict[str, Any], *, add: bool) -> list[Any]:
    emails, ids = body.get("emails"), body.get("ids")
    if not emails and not ids and not (body.get("all") and not add):
        raise ApiError(400, "missing_parameter", "emails or ids is required")
    items = list(emails or ids or [])
    if not add and body.get("all") is True and not items:  # remove every member
        items = [c["email"] for c in state.members(list_id)]
    if len(items) > LIST_CHANGE_LIMIT:
        raise ApiError(400, "out_of_range", f"You can pass a maximum of {LIST_CHANGE_LIMIT} contacts")
    return items


def _add_one(state: BrevoState, contact: dict[str, Any], list_id: int) -> bool:
    """Put ``contact`` on ``list_id``; False when it is on it or unsubscribed from it."""
    if list_id in contact["listUnsubscribed"]:
        violation = {"email": contact["email"], "list_id": list_id, "kind": "unsubscribed", "via": "add"}
        state.consent_violations.append(violation)
        return False
    if list_id in contact["listIds"]:
        return False
    if contact["emailBlacklisted"]:
        violation = {"email": contact["email"], "list_id": list_id, "kind": "blocklisted", "via": "add"}
        state.consent_violations.append(violation)
    contact["listIds"].add(list_id)
    contact["modifiedAt"] = time.time()
    return True


def _remove_one(contact: dict[str, Any], list_id: int) -> bool:
    if list_id not in contact["listIds"]:
        return False
    contact["listIds"].discard(list_id)
    contact["modifiedAt"] = time.time()
    return True


async def change_list(twin: Twin, request: Request, body: Any, *, add: bool) -> Response:
    """Add to or remove from a list: 201 ``contacts.success`` / ``failure``, 400 if nothing changed."""
    state = twin.state
    list_id = list_or_404(state, request)
    body = body or {}
    items = _list_change_items(state, list_id, body, add=add)
    by_id = {c["id"]: c for c in state.contacts.values()} if body.get("ids") else None
    success: list[Any] = []
    failure: list[Any] = []
    for item in items:
        contact = by_id.get(item) if by_id is not None else state.contacts.get(str(item).strip().lower())
        changed = contact is not None and (
            _add_one(state, contact, list_id) if add else _remove_one(contact, list_id)
        )
        (success if changed else failure).append(item)
    if not success:
        verb = "already in list" if add else "already removed from list"
        raise ApiError(400, "invalid_parameter", f"Contact {verb} and/or does not exist")
    result = {"success": success, "failure": failure, "total": len(success)}
    return JSONResponse({"contacts": result}, status_code=201)


async def add_to_list(twin: Twin, request: Request, body: Any) -> Response:
    """``POST /contacts/lists/{id}/contacts/add`` (at most 150)."""
    return await change_list(twin, request, body, add=True)


async def remove_from_list(twin: Twin, request: Request, body: Any) -> Response:
    """``POST /contacts/lists/{id}/contacts/remove`` (at most 150, or ``"all": true``)."""
    return await change_list(twin, request, body, add=False)
