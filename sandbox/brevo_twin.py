"""Brevo API v3 twin (contacts, lists, folders, attributes, imports, processes, transactional email).

Served under ``/v3`` with the ``api-key`` header (``xkeysib-sandbox``; anything else →
401 ``{"code": "unauthorized", "message": "Key not found"}``). Shapes follow the official
SDK's recorded stubs and the Swagger definition (shared/api-samples/brevo).

What it models, and on what evidence:

- **Import is asynchronous.** ``POST /contacts/import`` answers 202 ``{"processId"}``; the
  process stays ``queued``, then ``in_process``, for as long as the twin's pace says
  (:mod:`sandbox.brevo.pace`: real by default, tens of seconds; in a fast sandbox a second
  poll completes it); only then are contacts written. Its ``info.import`` holds URLs of CSV
  reports (SDK 5.1 ``GetProcessResponseInfoImport``: "URL to CSV file containing invalid
  email addresses, or null if none"), served by the twin at ``/reports/{id}/{kind}.csv``.
- **Events on demand** (:mod:`sandbox.brevo.events`): ``POST /_sandbox/events`` changes the
  contact as Brevo would (an unsubscribe or hard bounce blocklists it) and delivers the event
  to the registered webhooks in Brevo's payload shape. **Random events at a rate**
  (:mod:`sandbox.brevo.random_events`, off by default) do the same on the twin's own clock,
  in a loop the sandbox runs beside the routes (:func:`background`).
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
  before the body: see :mod:`sandbox.brevo.validation` for the order of checks.
- **Import never un-blocklists** (Brevo help: keeping blocklisted contacts "ensures that
  you cannot accidentally re-import" them as subscribed; ``emailBlacklist`` only sets).
  A blocklisted contact imported into a list *is* put on it, still blocklisted (Brevo
  help: "blacklisted contacts may be organized into lists") — recorded as a consent
  violation so tests can assert our connector never asks for it.
- **A list-unsubscribed contact is not re-added** to that list (not documented either
  way; the conservative reading), and the attempt is recorded as a consent violation.
- **Limits:** import body > 10 MB → 413; add/remove > 150 → 400 ``out_of_range``;
  ``GET /contacts`` limit > 1000, lists/folders limit > 50 → 400. Rate budgets per tier with
  ``x-sib-ratelimit-limit/remaining/reset`` on every answer and a 429 without ``Retry-After``
  when exceeded: Brevo's real ones by default (10/s and 36,000/h on ``/contacts/*``, 100/h on
  ``/processes``, ``/account``, ``/webhooks``), loose ones in a fast sandbox
  (:mod:`sandbox.brevo.pace`); tests tighten them through ``state.rate_limits``.
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

Everything is in ``ctx.state["brevo"]`` (a :class:`sandbox.brevo.state.BrevoState`): contacts, attributes,
folders, lists, processes, every request body received (``received``), blocklist fields
seen (``forbidden_fields``), deletions, consent violations, sent emails, and an import
log keyed by (email, state written) so tests can assert nobody was imported twice in
the same state.

Where each part lives (package :mod:`sandbox.brevo`): ``state`` (the state and its seed),
``pace`` (budgets and import timing), ``endpoint`` (one request from budget to answer),
``validation`` (400s for wrong input), ``shapes`` (answers in Brevo's shapes), ``imports``
(import processes), ``routes_lists`` / ``routes_contacts`` / ``routes_imports`` /
``routes_mail`` (the handlers), ``writes`` (updates in place), ``failures``, ``webhooks``.
This module is the twin's entry point for :mod:`sandbox.framework`: :func:`build_app` and
:data:`FAULTS`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.brevo import routes_contacts as contacts
from sandbox.brevo import routes_imports as imports
from sandbox.brevo import routes_lists as lists
from sandbox.brevo import routes_mail as mail
from sandbox.brevo.endpoint import Handler, Twin, endpoint
from sandbox.brevo.events import events_endpoint
from sandbox.brevo.pace import FAST, REAL
from sandbox.brevo.random_events import rate_from_env, running, set_rate
from sandbox.brevo.shapes import FAULT_RESET_SECONDS, contact_json, too_many
from sandbox.brevo.state import API_KEY, MASTER_LIST_NAME, SERVICE, BrevoState, seed_state
from sandbox.brevo.validation import request_check
from sandbox.brevo.writes import METHODS, unknown_route
from sandbox.framework import FaultProfile, SandboxContext
from sandbox.hooks import hooks_of

__all__ = [
    "API_KEY",
    "FAULTS",
    "FAULT_RESET_SECONDS",
    "MASTER_LIST_NAME",
    "BrevoState",
    "background",
    "build_app",
    "contact_json",
    "seed_state",
]

FAULTS = FaultProfile(
    rate_limited=too_many,
    server_error=lambda: JSONResponse(
        {"code": "internal_error", "message": "Internal server error"}, status_code=500
    ),
    expired_token=None,  # Brevo API keys do not expire
    exempt=("/reports/", "/_sandbox/"),
)

#: (method, path below /v3, rate tier, handler): every route the twin serves.
ROUTES: list[tuple[str, str, str, Handler]] = [
    ("GET", "/account", "unlisted", lists.account),
    ("GET", "/contacts/attributes", "contacts", lists.get_attributes),
    ("POST", "/contacts/attributes/{category}/{name}", "contacts", lists.create_attribute),
    ("GET", "/contacts/folders", "contacts", lists.get_folders),
    ("POST", "/contacts/folders", "contacts", lists.create_folder),
    ("GET", "/contacts/lists", "contacts", lists.get_lists),
    ("POST", "/contacts/lists", "contacts", lists.create_list),
    ("GET", "/contacts/lists/{list_id:int}", "contacts", lists.get_list),
    ("DELETE", "/contacts/lists/{list_id:int}", "contacts", lists.delete_list),
    ("GET", "/contacts/lists/{list_id:int}/contacts", "contacts", contacts.get_list_contacts),
    ("POST", "/contacts/lists/{list_id:int}/contacts/add", "contacts", lists.add_to_list),
    ("POST", "/contacts/lists/{list_id:int}/contacts/remove", "contacts", lists.remove_from_list),
    ("POST", "/contacts/import", "contacts", imports.import_contacts),
    ("GET", "/contacts", "contacts", contacts.get_contacts),
    ("GET", "/contacts/{identifier}", "contacts", contacts.get_contact),
    ("DELETE", "/contacts/{identifier}", "contacts", contacts.delete_contact),
    ("PUT", "/contacts/{identifier}", "contacts", contacts.update_contact),
    ("POST", "/contacts/batch", "contacts", contacts.batch),
    ("POST", "/contacts", "contacts", contacts.create_contact),
    ("GET", "/processes", "unlisted", imports.get_processes),
    ("GET", "/processes/{process_id}", "unlisted", imports.get_process),
    ("POST", "/smtp/email", "smtp", mail.send_email),
    ("GET", "/webhooks", "unlisted", mail.get_webhooks),
    ("POST", "/webhooks", "unlisted", mail.create_webhook),
    ("PUT", "/webhooks/{webhook_id:int}", "unlisted", mail.update_webhook),
]


def build_app(ctx: SandboxContext) -> Starlette:
    """The Brevo twin as an ASGI app (routes under ``/v3``, ``/reports`` downloads, ``/_sandbox/events``)."""
    state = ctx.state.get(SERVICE)
    if not isinstance(state, BrevoState):
        state = ctx.state[SERVICE] = seed_state(ctx, FAST if ctx.fast else REAL)
        set_rate(state, rate_from_env())
    ctx.stats_hooks[SERVICE] = state.stats
    twin = Twin(state=state, hooks=hooks_of(ctx.state), rng=ctx.rng)
    routes = [
        Route(f"/v3{path}", endpoint(twin, tier, handler, request_check(method, path)), methods=[method])
        for method, path, tier, handler in ROUTES
    ]
    routes.append(
        Route("/reports/{process_id:int}/{kind}.csv", imports.report_endpoint(state), methods=["GET"])
    )
    routes.append(Route("/_sandbox/events", events_endpoint(state), methods=["POST"]))
    catch_all = endpoint(twin, "unlisted", unknown_route, request_check("", ""))
    routes.append(Route("/v3/{rest:path}", catch_all, methods=METHODS))
    return Starlette(routes=routes)


def background(ctx: SandboxContext) -> AbstractAsyncContextManager[Any]:
    """Random events at ``state.event_rate`` while the sandbox serves (:mod:`sandbox.brevo.random_events`)."""
    state = ctx.state[SERVICE]
    assert isinstance(state, BrevoState)
    return running(state)
