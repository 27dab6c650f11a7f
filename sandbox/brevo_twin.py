"""Brevo API v3 twin (contacts, lists, folders, attributes, imports, processes, transactional email).

Served under ``/v3`` with the ``api-key`` header (``xkeysib-sandbox``; anything else →
401 ``{"code": "unauthorized", "message": "Key not found"}``). Shapes follow the official
SDK's recorded stubs and the Swagger definition (shared/api-samples/brevo).

What it models, and on what evidence:

- **Import is asynchronous.** ``POST /contacts/import`` answers 202 ``{"processId"}``; the
  process is ``queued``, then ``in_process`` on the first poll, then ``completed`` once
  ``import_delay`` seconds passed or it was polled ``complete_after_polls`` times; only
  then are contacts written. Its ``info.import`` holds URLs of CSV reports (SDK 5.1
  ``GetProcessResponseInfoImport``: "URL to CSV file containing invalid email
  addresses, or null if none"), served by the twin at ``/reports/{id}/{kind}.csv``.
- **Unknown attributes are ignored** (API reference: "Any contact attribute that doesn't
  exist in your account will be ignored"). A value of the wrong type for an attribute
  (e.g. ``"soon"`` for a date) is not written and is counted in ``type_errors``.
  Creating an attribute that exists (with any type) → 400 ``duplicate_parameter``.
  ``POST /contacts`` ignores a wrongly typed value too (SDK model doc, getbrevo/brevo-php
  ``docs/Model/CreateContact.md``: "Values that don't match the attribute type (e.g. text
  or string in a date attribute) will be ignored"), also counted in ``type_errors``.
  There, ``emailBlacklisted: false`` un-blocklists, as the field's documentation says.
- **Empty values erase only when the import asks.** An import row's attribute that is
  empty (``""`` or ``null``) leaves the stored value as it was, unless the import sets
  ``emptyContactsAttributes: true`` (with ``updateExistingContacts``): then it erases it,
  whatever the attribute's type (text, date, float alike). An attribute absent from the
  row is never touched. Evidence: the import reference's field description
  ("emptyContactsAttributes = true means the empty fields in your import will erase any
  attribute that currently contain data …, & emptyContactsAttributes = false means the
  empty fields will not affect your existing data (only available if
  updateExistingContacts set to true)", developers.brevo.com/reference/import-contacts and
  the Swagger definition in shared/api-samples/brevo/openapi); an empty CSV cell, Brevo's
  original import form, has no type, hence one empty value for every type.
- **Wrong JSON types are refused with 400, never a crash**, and the API key is checked
  before the body: see :mod:`sandbox.brevo_validation` for the order of checks.
- **Import never un-blocklists** (Brevo help: keeping blocklisted contacts "ensures that
  you cannot accidentally re-import" them as subscribed; ``emailBlacklist`` only sets).
  A blocklisted contact imported into a list *is* put on it, still blocklisted (Brevo
  help: "blacklisted contacts may be organized into lists") — recorded as a consent
  violation so tests can assert our connector never asks for it.
- **A list-unsubscribed contact is not re-added** to that list (not documented either
  way; the conservative reading), and the attempt is recorded as a consent violation.
- **Limits:** import body > 10 MB → 413; add/remove > 150 → 400 ``out_of_range``;
  ``GET /contacts`` limit > 1000, lists/folders limit > 50 → 400. Rate limits per tier
  (``contacts``, ``unlisted``, ``smtp``) with ``x-sib-ratelimit-limit/remaining/reset`` on
  every answer and a 429 without ``Retry-After`` when exceeded; defaults are generous,
  tests tighten them through ``state.rate_limits``.
- **Adding/removing when nothing changes** → 400 ``invalid_parameter`` ("Contact already in
  list and/or does not exist"), as Brevo answers when every email of a call fails.

Checked against Brevo's published definition (``tests/sandbox/test_brevo_contract.py``,
property-based over every route the definition has). Where that definition is wrong about
Brevo's real behaviour, the twin follows the behaviour and the test excludes it explicitly:

- **401 is declared nowhere**, yet every route answers 401 ``unauthorized`` "Key not found"
  to a bad ``api-key`` (developers.brevo.com/docs/how-it-works; issue 15 of this project).
- **413 on ``/contacts/import``** is undeclared; the import reference limits ``jsonBody`` to
  10 MB.
- **``bad_request`` is missing from the error-code enum**; brevo-python 5.1 lists it
  (``brevo/types/bad_request_error_body_code.py``) for a body that is not JSON.
- **Process fields**: ``created_at``, ``completed_at`` and ``info`` (the import report
  URLs) are undeclared by ``getProcess(es)``; SDK 5.1's recorded stubs and
  ``GetProcessResponseInfoImport`` have them. ``whatsappBlacklisted`` on contacts likewise.
- **``POST /contacts`` 204 declares a body**; a 204 has none (RFC 9110), the twin sends none.
- **``/contacts/{email}``** is ``/contacts/{identifier}`` (with ``identifierType``) since
  SDK 4; ``POST /contacts/batch`` is absent from that copy of the definition (SDK 5.1 has it).

Everything is in ``ctx.state["brevo"]`` (a :class:`BrevoState`): contacts, attributes,
folders, lists, processes, every request body received (``received``), blocklist fields
seen (``forbidden_fields``), deletions, consent violations, sent emails, and an import
log keyed by (email, state written) so tests can assert nobody was imported twice in
the same state.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandbox.brevo_failures import FINAL, fail_if_drawn
from sandbox.brevo_validation import Check, RequestRefused, request_check
from sandbox.brevo_webhooks import WebhookError, validate_webhook
from sandbox.brevo_writes import METHODS, unknown_route, update_batch, update_one
from sandbox.framework import FaultProfile, SandboxContext
from sandbox.hooks import hooks_of

SERVICE = "brevo"
API_KEY = "xkeysib-sandbox"
MASTER_LIST_NAME = "En Garde master list"
FOLDER_NAME = "En Garde"
IMPORT_BODY_LIMIT = 10 * 1024 * 1024
LIST_CHANGE_LIMIT = 150
FAULT_RESET_SECONDS = 1
#: Request bodies kept for inspection (oldest dropped first; blocklist fields are counted for all).
RECEIVED_KEEP = 20_000
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REPORT_KINDS = (
    "invalid_emails",
    "duplicate_contact_id",
    "duplicate_ext_id",
    "duplicate_email_id",
    "duplicate_phone_id",
    "duplicate_whatsapp_id",
    "duplicate_landline_number_id",
)


def _rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-sib-ratelimit-limit": str(limit),
        "x-sib-ratelimit-remaining": str(max(0, remaining)),
        "x-sib-ratelimit-reset": str(max(0, reset)),
    }


def _too_many() -> Response:
    return JSONResponse(
        {"code": "too_many_requests", "message": "Too many requests, please slow down"},
        status_code=429,
        headers=_rate_limit_headers(10, 0, FAULT_RESET_SECONDS),
    )


FAULTS = FaultProfile(
    rate_limited=_too_many,
    server_error=lambda: JSONResponse(
        {"code": "internal_error", "message": "Internal server error"}, status_code=500
    ),
    expired_token=None,  # Brevo API keys do not expire
    exempt=("/reports/",),
)


def _now_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _parse_when(value: str) -> float:
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+")).timestamp()


class ApiError(Exception):
    """An answer in Brevo's error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


# --------------------------------------------------------------------------- state


@dataclass
class BrevoState:
    """Everything the twin knows; tests read and tweak it."""

    api_key: str = API_KEY
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[int, str] = field(default_factory=dict)
    lists: dict[int, dict[str, Any]] = field(default_factory=dict)
    processes: dict[int, dict[str, Any]] = field(default_factory=dict)
    emails_sent: list[dict[str, Any]] = field(default_factory=list)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    forbidden_fields: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    consent_violations: list[dict[str, Any]] = field(default_factory=list)
    type_errors: list[dict[str, Any]] = field(default_factory=list)
    import_log: list[dict[str, Any]] = field(default_factory=list)
    imported_states: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: tier -> (requests, seconds). Defaults generous; tests tighten them.
    rate_limits: dict[str, tuple[int, float]] = field(
        default_factory=lambda: {"contacts": (1000, 1.0), "unlisted": (100_000, 3600.0), "smtp": (1000, 1.0)}
    )
    import_delay: float = 0.3
    #: Share of imports that end ``failed`` (sandbox.brevo_failures).
    failed_share: float = 0.0
    complete_after_polls: int = 2
    master_list_id: int | None = None
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    _next_id: Counter[str] = field(default_factory=Counter)

    def next_id(self, kind: str, start: int = 1) -> int:
        """A fresh id for ``kind`` (contacts, lists, folders, processes)."""
        if kind not in self._next_id:
            self._next_id[kind] = start
        value = self._next_id[kind]
        self._next_id[kind] += 1
        return value

    def members(self, list_id: int) -> list[dict[str, Any]]:
        """Contacts on ``list_id``."""
        return [c for c in self.contacts.values() if list_id in c["listIds"]]

    def repeated_imports(self) -> dict[str, int]:
        """Emails imported more than once in the same state (email → times)."""
        return {email: n for (email, _), n in self.imported_states.items() if n > 1}

    def stats(self) -> dict[str, Any]:
        """The twin's state in numbers (``engarde sandbox stats``)."""
        return {
            "contacts": len(self.contacts),
            "blocklisted": sum(1 for c in self.contacts.values() if c["emailBlacklisted"]),
            "list_members": {lst["name"]: len(self.members(i)) for i, lst in self.lists.items()},
            "imports": len(self.import_log),
            "rows_imported": sum(len(i["touched"]) for i in self.import_log),
            "repeated_same_state": len(self.repeated_imports()),
            "emails_sent": len(self.emails_sent),
            "consent_violations": len(self.consent_violations),
            "blocklist_fields_received": len(self.forbidden_fields),
            "contacts_deleted": len(self.deleted),
        }


def _contact(state: BrevoState, email: str, ts: float) -> dict[str, Any]:
    return {
        "id": state.next_id("contact"),
        "email": email,
        "emailBlacklisted": False,
        "smsBlacklisted": False,
        "whatsappBlacklisted": False,
        "createdAt": ts,
        "modifiedAt": ts,
        "listIds": set(),
        "listUnsubscribed": set(),
        "attributes": {},
    }


def seed_state(ctx: SandboxContext) -> BrevoState:
    """State seeded from ``ctx.world.brevo_contacts``: a folder, the master list, consent cases."""
    state = BrevoState()
    for name, kind in (("FIRSTNAME", "text"), ("LASTNAME", "text"), ("SMS", "text"), ("EXT_ID", "text")):
        state.attributes[name] = {"name": name, "category": "normal", "type": kind}
    folder_id = state.next_id("folder")
    state.folders[folder_id] = FOLDER_NAME
    created = ctx.world.anchor.timestamp() - 400 * 86400
    master = state.next_id("list", start=2)
    state.lists[master] = {
        "id": master,
        "name": MASTER_LIST_NAME,
        "folderId": folder_id,
        "createdAt": created,
    }
    state.master_list_id = master
    for i, seed in enumerate(ctx.world.brevo_contacts):
        ts = created + i * 60.0
        contact = _contact(state, str(seed["email"]).strip().lower(), ts)
        contact["attributes"] = dict(seed.get("attributes") or {})
        if seed.get("emailBlacklisted"):
            contact["emailBlacklisted"] = True
        elif seed.get("unsubscribedFromMaster"):
            contact["listUnsubscribed"].add(master)
        else:
            contact["listIds"].add(master)
        state.contacts[contact["email"]] = contact
    return state


def contact_json(c: dict[str, Any]) -> dict[str, Any]:
    """A contact as ``GET /contacts`` shows it."""
    return {
        "email": c["email"],
        "id": c["id"],
        "emailBlacklisted": c["emailBlacklisted"],
        "smsBlacklisted": c["smsBlacklisted"],
        "whatsappBlacklisted": c["whatsappBlacklisted"],
        "createdAt": _now_iso(c["createdAt"]),
        "modifiedAt": _now_iso(c["modifiedAt"]),
        "listIds": sorted(c["listIds"]),
        "listUnsubscribed": sorted(c["listUnsubscribed"]),
        "attributes": dict(c["attributes"]),
    }


def _list_json(state: BrevoState, list_id: int) -> dict[str, Any]:
    lst = state.lists[list_id]
    members = state.members(list_id)
    blocked = sum(1 for c in members if c["emailBlacklisted"])
    return {
        "id": list_id,
        "name": lst["name"],
        "folderId": lst["folderId"],
        "totalBlacklisted": blocked,
        "totalSubscribers": len(members) - blocked,
        "uniqueSubscribers": len(members),
    }


# --------------------------------------------------------------------------- imports


def _typed(kind: str | None, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` fits an attribute of type ``kind``, and the value as stored."""
    if kind == "date":
        return (isinstance(value, str) and bool(_DATE.match(value))), value
    if kind == "float":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int | float):
            return True, value
        try:
            return True, float(str(value))
        except ValueError:
            return False, value
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        if str(value).lower() in ("true", "false"):
            return True, str(value).lower() == "true"
        return False, value
    if isinstance(value, dict | list):
        return False, value
    return True, value if isinstance(value, str) else str(value)


def _state_signature(attributes: dict[str, Any], list_ids: list[int]) -> str:
    raw = json.dumps([sorted(attributes.items()), sorted(list_ids)], default=str, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _complete_import(state: BrevoState, process: dict[str, Any]) -> None:
    if fail_if_drawn(state.failed_share, process):
        return
    body = process.pop("body")
    list_ids: list[int] = [int(x) for x in body.get("listIds") or []]
    update = bool(body.get("updateExistingContacts", True))
    empty_erases = update and bool(body.get("emptyContactsAttributes", False))
    blacklist_all = body.get("emailBlacklist") is True
    now = time.time()
    seen: set[str] = set()
    reports: dict[str, list[str]] = {k: [] for k in REPORT_KINDS}
    touched: dict[str, str] = {}
    for item in body.get("jsonBody") or []:
        raw_email = str((item or {}).get("email") or "").strip()
        email = raw_email.lower()
        if not _EMAIL.match(raw_email):
            reports["invalid_emails"].append(raw_email)
            continue
        if email in seen:
            reports["duplicate_email_id"].append(raw_email)
            continue
        seen.add(email)
        contact = state.contacts.get(email)
        is_new = contact is None
        if contact is None:
            contact = state.contacts[email] = _contact(state, email, now)
        elif not update:
            continue
        attrs = {str(k).upper(): v for k, v in ((item or {}).get("attributes") or {}).items()}
        for name, value in attrs.items():
            spec = state.attributes.get(name)
            if spec is None:
                continue  # unknown attributes are ignored
            if value is None or value == "":
                if empty_erases:
                    contact["attributes"].pop(name, None)
                continue
            ok, stored = _typed(spec.get("type"), value)
            if not ok:
                state.type_errors.append({"email": email, "attribute": name, "value": value})
                continue
            contact["attributes"][name] = stored
        if blacklist_all:
            contact["emailBlacklisted"] = True
        for list_id in list_ids:
            if list_id in contact["listUnsubscribed"]:
                state.consent_violations.append(
                    {"email": email, "list_id": list_id, "kind": "unsubscribed", "via": "import"}
                )
                continue
            if contact["emailBlacklisted"] and list_id not in contact["listIds"] and not is_new:
                state.consent_violations.append(
                    {"email": email, "list_id": list_id, "kind": "blocklisted", "via": "import"}
                )
            contact["listIds"].add(list_id)
        contact["modifiedAt"] = now
        # What the row writes: an empty value writes something only when it erases.
        written = {k: v for k, v in attrs.items() if empty_erases or v not in (None, "")}
        signature = _state_signature(written, list_ids)
        touched[email] = signature
        state.imported_states[(email, signature)] += 1
    state.import_log.append({"process_id": process["id"], "list_ids": list_ids, "touched": touched})
    process["reports"] = {k: v for k, v in reports.items() if v}
    process["status"] = "completed"
    process["completed_at"] = now


def _advance(state: BrevoState, process: dict[str, Any], *, polled: bool) -> None:
    if process["status"] in FINAL:
        return
    if polled:
        process["polls"] += 1
    due = time.time() - process["created"] >= state.import_delay
    if due or process["polls"] >= state.complete_after_polls:
        _complete_import(state, process)
    elif polled:
        process["status"] = "in_process"


def _tick(state: BrevoState) -> None:
    for process in list(state.processes.values()):
        if process["status"] not in FINAL and time.time() - process["created"] >= state.import_delay:
            _complete_import(state, process)


# --------------------------------------------------------------------------- app


def build_app(ctx: SandboxContext) -> Starlette:
    """The Brevo twin as an ASGI app (routes under ``/v3`` plus ``/reports`` downloads)."""
    state = ctx.state.get(SERVICE)
    if not isinstance(state, BrevoState):
        state = ctx.state[SERVICE] = seed_state(ctx)
    ctx.stats_hooks[SERVICE] = state.stats
    hooks = hooks_of(ctx.state)
    Handler = Callable[[Request, Any], Awaitable[Response]]

    def rate(tier: str) -> tuple[bool, dict[str, str]]:
        count, seconds = state.rate_limits[tier]
        now = time.time()
        start, used = state._windows.get(tier, (now, 0))
        if now - start >= seconds:
            start, used = now, 0
        reset = math.ceil(seconds - (now - start))
        if used >= count:
            state._windows[tier] = (start, used)
            return False, _rate_limit_headers(count, 0, reset)
        state._windows[tier] = (start, used + 1)
        return True, _rate_limit_headers(count, count - used - 1, reset)

    def endpoint(tier: str, handler: Handler, check: Check) -> Callable[[Request], Awaitable[Response]]:
        # Order of checks: sandbox.brevo_validation's docstring.
        async def run(request: Request) -> Response:
            allowed, headers = rate(tier)
            if not allowed:
                response = _too_many()
                response.headers.update(headers)
                return response
            if request.headers.get("api-key") != state.api_key:
                return JSONResponse(
                    {"code": "unauthorized", "message": "Key not found"}, status_code=401, headers=headers
                )
            raw = await request.body()
            body: Any = None
            if raw:
                if b"emailblacklist" in raw.lower():
                    state.forbidden_fields.append(f"{request.method} {request.url.path}")
                if len(raw) > IMPORT_BODY_LIMIT:
                    return JSONResponse(
                        {"code": "out_of_range", "message": "Maximum allowed json body size is 10MB"},
                        status_code=413,
                        headers=headers,
                    )
                try:
                    body = json.loads(raw)
                except ValueError:
                    return JSONResponse(
                        {"code": "bad_request", "message": "Invalid JSON"}, status_code=400, headers=headers
                    )
                if len(state.received) >= RECEIVED_KEEP:
                    del state.received[: RECEIVED_KEEP // 10]
                state.received.append(
                    {
                        "method": request.method,
                        "path": request.url.path,
                        "body": body
                        if len(raw) < 1_000_000
                        else {"_large": sorted(body) if isinstance(body, dict) else []},
                    }
                )
            _tick(state)
            try:
                check(request.query_params, body)
                response = await handler(request, body)
            except RequestRefused as exc:
                response = JSONResponse({"code": exc.code, "message": exc.message}, status_code=400)
            except ApiError as exc:
                response = JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status)
            response.headers.update(headers)
            return response

        return run

    def page(request: Request, *, default: int, maximum: int) -> tuple[int, int, str]:
        try:
            limit = int(request.query_params.get("limit", default))
            offset = int(request.query_params.get("offset", 0))
        except ValueError as exc:
            raise ApiError(400, "invalid_parameter", "limit and offset must be integers") from exc
        if limit < 0 or limit > maximum:
            raise ApiError(400, "out_of_range", f"Limit exceeds max value of {maximum}")
        return limit, max(0, offset), request.query_params.get("sort", "desc")

    def list_or_404(request: Request) -> int:
        list_id = int(request.path_params["list_id"])
        if list_id not in state.lists:
            raise ApiError(404, "document_not_found", "List ID does not exist")
        return list_id

    # -- account, attributes, folders, lists

    async def account(_: Request, __: Any) -> Response:
        return JSONResponse(
            {
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
                    "data": {
                        "userName": "sandbox@engarde.example",
                        "relay": "smtp-relay.brevo.com",
                        "port": 587,
                    },
                },
                "marketingAutomation": {"enabled": False},
            }
        )

    async def get_attributes(_: Request, __: Any) -> Response:
        return JSONResponse({"attributes": list(state.attributes.values())})

    async def create_attribute(request: Request, body: Any) -> Response:
        category = request.path_params["category"]
        name = str(request.path_params["name"]).upper()
        kind = (body or {}).get("type", "text")
        if category not in ("normal", "transactional", "category", "calculated", "global"):
            raise ApiError(400, "invalid_parameter", "Invalid attribute category")
        if category == "normal" and kind not in (
            "text",
            "date",
            "float",
            "boolean",
            "multiple-choice",
            "user",
        ):
            raise ApiError(400, "invalid_parameter", f"Invalid attribute type {kind!r} for category normal")
        if name in state.attributes:
            raise ApiError(400, "duplicate_parameter", "Attribute name must be unique")
        state.attributes[name] = {"name": name, "category": category, "type": kind}
        return Response(status_code=201)

    async def get_folders(request: Request, _: Any) -> Response:
        limit, offset, sort = page(request, default=10, maximum=50)
        ids = sorted(state.folders, reverse=sort == "desc")
        rows = [
            {
                "id": i,
                "name": state.folders[i],
                "totalBlacklisted": 0,
                "totalSubscribers": 0,
                "uniqueSubscribers": 0,
            }
            for i in ids[offset : offset + limit]
        ]
        return JSONResponse({"count": len(ids), "folders": rows})

    async def create_folder(_: Request, body: Any) -> Response:
        name = str((body or {}).get("name") or "").strip()
        if not name:
            raise ApiError(400, "missing_parameter", "name is missing")
        folder_id = state.next_id("folder")
        state.folders[folder_id] = name
        return JSONResponse({"id": folder_id}, status_code=201)

    async def get_lists(request: Request, _: Any) -> Response:
        limit, offset, sort = page(request, default=10, maximum=50)
        ids = sorted(state.lists, reverse=sort == "desc")
        return JSONResponse(
            {"count": len(ids), "lists": [_list_json(state, i) for i in ids[offset : offset + limit]]}
        )

    async def create_list(_: Request, body: Any) -> Response:
        body = body or {}
        name = str(body.get("name") or "").strip()
        if not name or body.get("folderId") is None:
            raise ApiError(400, "missing_parameter", "name and folderId are required")
        if int(body["folderId"]) not in state.folders:
            raise ApiError(400, "invalid_parameter", "Folder ID does not exist")
        list_id = state.next_id("list", start=2)
        state.lists[list_id] = {
            "id": list_id,
            "name": name,
            "folderId": int(body["folderId"]),
            "createdAt": time.time(),
        }
        return JSONResponse({"id": list_id}, status_code=201)

    async def get_list(request: Request, _: Any) -> Response:
        list_id = list_or_404(request)
        out = _list_json(state, list_id)
        out |= {
            "createdAt": _now_iso(state.lists[list_id]["createdAt"]),
            "campaignStats": [],
            "dynamicList": False,
        }
        return JSONResponse(out)

    async def delete_list(request: Request, _: Any) -> Response:
        # As an admin does by hand: the list goes, its contacts stay (off it). A contact's
        # unsubscription from it stays in its record (``listUnsubscribed``), as history.
        list_id = list_or_404(request)
        del state.lists[list_id]
        for contact in state.contacts.values():
            contact["listIds"].discard(list_id)
        return Response(status_code=204)

    def select_contacts(request: Request, pool: list[dict[str, Any]], maximum: int, default: int) -> Response:
        limit, offset, sort = page(request, default=default, maximum=maximum)
        for param, key in (("modifiedSince", "modifiedAt"), ("createdSince", "createdAt")):
            if value := request.query_params.get(param):
                try:
                    since = _parse_when(value)
                except ValueError as exc:
                    raise ApiError(400, "invalid_parameter", f"{param} is not a valid date-time") from exc
                pool = [c for c in pool if c[key] >= since]
        pool.sort(key=lambda c: (c["createdAt"], c["id"]), reverse=sort != "asc")
        return JSONResponse(
            {"contacts": [contact_json(c) for c in pool[offset : offset + limit]], "count": len(pool)}
        )

    async def get_list_contacts(request: Request, _: Any) -> Response:
        list_id = list_or_404(request)
        return select_contacts(request, state.members(list_id), maximum=500, default=50)

    async def change_list(request: Request, body: Any, *, add: bool) -> Response:
        list_id = list_or_404(request)
        body = body or {}
        emails = body.get("emails")
        ids = body.get("ids")
        if not emails and not ids and not (body.get("all") and not add):
            raise ApiError(400, "missing_parameter", "emails or ids is required")
        items = list(emails or ids or [])
        if not add and body.get("all") is True and not items:  # remove every member
            items = [c["email"] for c in state.members(list_id)]
        if len(items) > LIST_CHANGE_LIMIT:
            raise ApiError(400, "out_of_range", f"You can pass a maximum of {LIST_CHANGE_LIMIT} contacts")
        by_id = {c["id"]: c for c in state.contacts.values()} if ids else {}
        success: list[Any] = []
        failure: list[Any] = []
        for item in items:
            contact = by_id.get(item) if ids else state.contacts.get(str(item).strip().lower())
            if contact is None:
                failure.append(item)
            elif add:
                if list_id in contact["listUnsubscribed"]:
                    state.consent_violations.append(
                        {"email": contact["email"], "list_id": list_id, "kind": "unsubscribed", "via": "add"}
                    )
                    failure.append(item)
                elif list_id in contact["listIds"]:
                    failure.append(item)
                else:
                    if contact["emailBlacklisted"]:
                        state.consent_violations.append(
                            {
                                "email": contact["email"],
                                "list_id": list_id,
                                "kind": "blocklisted",
                                "via": "add",
                            }
                        )
                    contact["listIds"].add(list_id)
                    contact["modifiedAt"] = time.time()
                    success.append(item)
            elif list_id in contact["listIds"]:
                contact["listIds"].discard(list_id)
                contact["modifiedAt"] = time.time()
                success.append(item)
            else:
                failure.append(item)
        if not success:
            verb = "already in list" if add else "already removed from list"
            raise ApiError(400, "invalid_parameter", f"Contact {verb} and/or does not exist")
        return JSONResponse(
            {"contacts": {"success": success, "failure": failure, "total": len(success)}}, status_code=201
        )

    async def add_to_list(request: Request, body: Any) -> Response:
        return await change_list(request, body, add=True)

    async def remove_from_list(request: Request, body: Any) -> Response:
        return await change_list(request, body, add=False)

    # -- contacts

    async def get_contacts(request: Request, _: Any) -> Response:
        pool = list(state.contacts.values())
        if list_ids := request.query_params.get("listIds"):
            wanted = {int(x) for x in list_ids.split(",") if x}
            pool = [c for c in pool if c["listIds"] & wanted]
        return select_contacts(request, pool, maximum=1000, default=50)

    def find_contact(request: Request) -> dict[str, Any]:
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

    async def get_contact(request: Request, _: Any) -> Response:
        return JSONResponse({**contact_json(find_contact(request)), "statistics": {}})

    async def batch(_: Request, body: Any) -> Response:
        return update_batch(state, body or {})

    async def update_contact(request: Request, body: Any) -> Response:
        update_one(state, find_contact(request), body or {}, via="update")
        return Response(status_code=204)

    async def create_contact(_: Request, body: Any) -> Response:
        # POST /contacts: a wrongly typed attribute is ignored (see the module docstring).
        body = body or {}
        email = str(body.get("email") or "").strip()
        if not _EMAIL.match(email):
            raise ApiError(400, "invalid_parameter", "Invalid email address")
        attrs: dict[str, Any] = {}
        for name, value in (body.get("attributes") or {}).items():
            spec = state.attributes.get(str(name).upper())
            if spec is None:
                continue
            ok, stored = _typed(spec.get("type"), value)
            if not ok:  # ignored, as Brevo documents; recorded for tests
                state.type_errors.append({"email": email.lower(), "attribute": spec["name"], "value": value})
                continue
            attrs[spec["name"]] = stored
        existing = state.contacts.get(email.lower())
        if existing is not None and not body.get("updateEnabled"):
            raise ApiError(400, "duplicate_parameter", "Contact already exist")
        contact = existing or _contact(state, email.lower(), time.time())
        contact["attributes"].update(attrs)
        if "emailBlacklisted" in body:  # true blocklists, false un-blocklists: why we never send it
            contact["emailBlacklisted"] = bool(body["emailBlacklisted"])
        for list_id in body.get("listIds") or []:
            if int(list_id) not in state.lists:
                raise ApiError(400, "invalid_parameter", f"List ID {list_id} does not exist")
            if int(list_id) in contact["listUnsubscribed"]:
                state.consent_violations.append(
                    {
                        "email": contact["email"],
                        "list_id": int(list_id),
                        "kind": "unsubscribed",
                        "via": "create",
                    }
                )
            contact["listIds"].add(int(list_id))
        contact["modifiedAt"] = time.time()
        state.contacts[contact["email"]] = contact
        if existing is not None:
            return Response(status_code=204)
        return JSONResponse({"id": contact["id"]}, status_code=201)

    async def delete_contact(request: Request, _: Any) -> Response:
        contact = find_contact(request)
        state.contacts.pop(contact["email"], None)
        state.deleted.append(contact["email"])
        return Response(status_code=204)

    async def import_contacts(_: Request, body: Any) -> Response:
        if not isinstance(body, dict):
            raise ApiError(400, "bad_request", "Invalid request body")
        if not any(body.get(k) for k in ("jsonBody", "fileBody", "fileUrl")):
            raise ApiError(400, "missing_parameter", "jsonBody, fileBody or fileUrl is required")
        if body.get("fileBody") or body.get("fileUrl"):
            raise ApiError(400, "invalid_parameter", "the sandbox imports jsonBody only")
        if not body.get("listIds") and not body.get("newList"):
            raise ApiError(400, "missing_parameter", "listIds or newList is required")
        if body.get("newList"):
            new = body["newList"]
            list_id = state.next_id("list", start=2)
            folder = int(new.get("folderId") or min(state.folders))
            state.lists[list_id] = {
                "id": list_id,
                "name": new.get("listName"),
                "folderId": folder,
                "createdAt": time.time(),
            }
            body["listIds"] = [*(body.get("listIds") or []), list_id]
        for list_id in body["listIds"]:
            if int(list_id) not in state.lists:
                raise ApiError(400, "invalid_parameter", f"List ID {list_id} does not exist")
        await hooks.reach("brevo.import.received")
        process_id = state.next_id("process", start=100)
        state.processes[process_id] = {
            "id": process_id,
            "name": "IMPORTUSER",
            "status": "queued",
            "created": time.time(),
            "polls": 0,
            "body": body,
        }
        await hooks.reach("brevo.import.accepted")
        return JSONResponse({"processId": process_id}, status_code=202)

    async def get_processes(request: Request, _: Any) -> Response:
        # Newest first unless sort=asc; limit at most 50 (Swagger); items as the SDK's stubs show them.
        limit, offset, order = page(request, default=10, maximum=50)
        ids = sorted(state.processes, reverse=order != "asc")[offset : offset + limit]
        items = []
        for process_id in ids:
            process = state.processes[process_id]
            item = {"id": process_id, "name": process["name"], "status": process["status"]}
            item["created_at"] = _now_iso(process["created"])
            if process["status"] in FINAL:
                item["completed_at"] = _now_iso(process["completed_at"])
            if "error" in process:
                item["error"] = process["error"]
            items.append(item)
        return JSONResponse({"count": len(state.processes), "processes": items})

    async def get_process(request: Request, _: Any) -> Response:
        await hooks.reach("brevo.process.polled")
        try:
            process = state.processes[int(request.path_params["process_id"])]
        except (KeyError, ValueError) as exc:
            raise ApiError(404, "invalid_parameter", "processId is invalid") from exc
        _advance(state, process, polled=True)
        out: dict[str, Any] = {"id": process["id"], "name": process["name"], "status": process["status"]}
        out["created_at"] = _now_iso(process["created"])
        if process["status"] == "completed":
            path = request.url.path
            base = f"{request.url.scheme}://{request.url.netloc}{path[: path.index('/v3/')]}"
            reports = process.get("reports", {})
            out["info"] = {
                "import": {
                    kind: (f"{base}/reports/{process['id']}/{kind}.csv" if kind in reports else None)
                    for kind in REPORT_KINDS
                }
            }
            out["completed_at"] = _now_iso(process["completed_at"])
        if process["status"] == "failed":
            out |= {"error": process["error"], "completed_at": _now_iso(process["completed_at"])}
        return JSONResponse(out)

    async def report(request: Request) -> Response:
        process = state.processes.get(int(request.path_params["process_id"]))
        kind = request.path_params["kind"]
        if process is None or kind not in process.get("reports", {}):
            return PlainTextResponse("NoSuchKey", status_code=404)
        return PlainTextResponse(
            "EMAIL\n" + "".join(f"{e}\n" for e in process["reports"][kind]), media_type="text/csv"
        )

    # -- webhooks (sandbox.brevo_webhooks holds the shapes and the delivery)

    async def get_webhooks(request: Request, _: Any) -> Response:
        kind = request.query_params.get("type")
        hooks = [{"id": i, **h} for i, h in sorted(state.webhooks.items()) if kind in (None, h["type"])]
        return JSONResponse({"webhooks": hooks})

    async def create_webhook(_: Request, body: Any) -> Response:
        try:
            hook = validate_webhook(body or {}, len(state.webhooks))
        except WebhookError as exc:
            raise ApiError(400, "invalid_parameter", str(exc)) from exc
        webhook_id = state.next_id("webhook")
        state.webhooks[webhook_id] = hook
        return JSONResponse({"id": webhook_id}, status_code=201)

    async def update_webhook(request: Request, body: Any) -> Response:
        webhook_id = int(request.path_params["webhook_id"])
        if webhook_id not in state.webhooks:
            raise ApiError(404, "document_not_found", "Webhook does not exist")
        current = state.webhooks[webhook_id]
        try:
            merged = validate_webhook({**current, **(body or {})}, 0)
        except WebhookError as exc:
            raise ApiError(400, "invalid_parameter", str(exc)) from exc
        state.webhooks[webhook_id] = {**merged, "createdAt": current["createdAt"]}
        return Response(status_code=204)

    # -- transactional email

    async def send_email(_: Request, body: Any) -> Response:
        body = body or {}
        to = body.get("to") or []
        if not to or not all(isinstance(t, dict) and t.get("email") for t in to):
            raise ApiError(400, "missing_parameter", "to is missing")
        if body.get("templateId") is None:
            if not (body.get("sender") or {}).get("email"):
                raise ApiError(400, "missing_parameter", "sender is missing")
            if not body.get("subject"):
                raise ApiError(400, "missing_parameter", "subject is missing")
            if not (body.get("htmlContent") or body.get("textContent")):
                raise ApiError(400, "missing_parameter", "htmlContent or textContent is missing")
        message_id = f"<{uuid.UUID(int=ctx.rng.getrandbits(128))}@smtp-relay.mailin.fr>"
        state.emails_sent.append({"messageId": message_id, "receivedAt": time.time(), **body})
        return JSONResponse({"messageId": message_id}, status_code=201)

    v3: list[tuple[str, str, str, Handler]] = [
        ("GET", "/account", "unlisted", account),
        ("GET", "/contacts/attributes", "contacts", get_attributes),
        ("POST", "/contacts/attributes/{category}/{name}", "contacts", create_attribute),
        ("GET", "/contacts/folders", "contacts", get_folders),
        ("POST", "/contacts/folders", "contacts", create_folder),
        ("GET", "/contacts/lists", "contacts", get_lists),
        ("POST", "/contacts/lists", "contacts", create_list),
        ("GET", "/contacts/lists/{list_id:int}", "contacts", get_list),
        ("DELETE", "/contacts/lists/{list_id:int}", "contacts", delete_list),
        ("GET", "/contacts/lists/{list_id:int}/contacts", "contacts", get_list_contacts),
        ("POST", "/contacts/lists/{list_id:int}/contacts/add", "contacts", add_to_list),
        ("POST", "/contacts/lists/{list_id:int}/contacts/remove", "contacts", remove_from_list),
        ("POST", "/contacts/import", "contacts", import_contacts),
        ("GET", "/contacts", "contacts", get_contacts),
        ("GET", "/contacts/{identifier}", "contacts", get_contact),
        ("DELETE", "/contacts/{identifier}", "contacts", delete_contact),
        ("PUT", "/contacts/{identifier}", "contacts", update_contact),
        ("POST", "/contacts/batch", "contacts", batch),
        ("POST", "/contacts", "contacts", create_contact),
        ("GET", "/processes", "unlisted", get_processes),
        ("GET", "/processes/{process_id}", "unlisted", get_process),
        ("POST", "/smtp/email", "smtp", send_email),
        ("GET", "/webhooks", "unlisted", get_webhooks),
        ("POST", "/webhooks", "unlisted", create_webhook),
        ("PUT", "/webhooks/{webhook_id:int}", "unlisted", update_webhook),
    ]
    routes = [
        Route(f"/v3{path}", endpoint(tier, handler, request_check(method, path)), methods=[method])
        for method, path, tier, handler in v3
    ]
    routes.append(Route("/reports/{process_id:int}/{kind}.csv", report, methods=["GET"]))
    routes.append(
        Route("/v3/{rest:path}", endpoint("unlisted", unknown_route, request_check("", "")), methods=METHODS)
    )
    return Starlette(routes=routes)
