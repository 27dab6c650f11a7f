"""The Brevo twin's import processes: from ``queued`` to ``completed`` (or ``failed``), and what they write.

A process is ``queued`` when accepted, ``in_process`` once ``import_queued`` seconds passed,
and completes once ``import_delay`` seconds plus ``import_per_1000_rows`` per 1,000 rows passed
(or, at the fast pace only, once it was polled ``complete_after_polls`` times; timings in
:mod:`sandbox.brevo.pace`); only then are contacts written (rules in :mod:`sandbox.brevo_twin`'s docstring: unknown attributes ignored,
empty values erase only with ``emptyContactsAttributes``, import never un-blocklists, a
list-unsubscribed contact is not re-added). Every request first completes the imports that
are due (:func:`tick`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sandbox.brevo.failures import FINAL, fail_if_drawn
from sandbox.brevo.shapes import typed
from sandbox.brevo.state import BrevoState, new_contact
from sandbox.brevo.validation import EMAIL

REPORT_KINDS = (
    "invalid_emails",
    "duplicate_contact_id",
    "duplicate_ext_id",
    "duplicate_email_id",
    "duplicate_phone_id",
    "duplicate_whatsapp_id",
    "duplicate_landline_number_id",
)


def state_signature(attributes: dict[str, Any], list_ids: list[int]) -> str:
    """A short digest of what one import row writes (attributes and lists)."""
    raw = json.dumps([sorted(attributes.items()), sorted(list_ids)], default=str, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _write_attributes(
    state: BrevoState, contact: dict[str, Any], attrs: dict[str, Any], *, empty_erases: bool
) -> None:
    for name, value in attrs.items():
        spec = state.attributes.get(name)
        if spec is None:
            continue  # unknown attributes are ignored
        if value is None or value == "":
            if empty_erases:
                contact["attributes"].pop(name, None)
            continue
        ok, stored = typed(spec.get("type"), value)
        if not ok:
            state.type_errors.append({"email": contact["email"], "attribute": name, "value": value})
            continue
        contact["attributes"][name] = stored


def _join_lists(state: BrevoState, contact: dict[str, Any], list_ids: list[int], *, is_new: bool) -> None:
    email = contact["email"]
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


def _import_row(state: BrevoState, item: dict[str, Any], body: dict[str, Any], now: float) -> str | None:
    """Write one row; the signature of what it wrote, or None when an existing contact is left alone."""
    list_ids: list[int] = [int(x) for x in body.get("listIds") or []]
    update = bool(body.get("updateExistingContacts", True))
    empty_erases = update and bool(body.get("emptyContactsAttributes", False))
    email = str(item.get("email") or "").strip().lower()
    contact = state.contacts.get(email)
    is_new = contact is None
    if contact is None:
        contact = state.contacts[email] = new_contact(state, email, now)
    elif not update:
        return None
    attrs = {str(k).upper(): v for k, v in (item.get("attributes") or {}).items()}
    _write_attributes(state, contact, attrs, empty_erases=empty_erases)
    if body.get("emailBlacklist") is True:
        contact["emailBlacklisted"] = True
    _join_lists(state, contact, list_ids, is_new=is_new)
    contact["modifiedAt"] = now
    # What the row writes: an empty value writes something only when it erases.
    written = {k: v for k, v in attrs.items() if empty_erases or v not in (None, "")}
    return state_signature(written, list_ids)


def complete_import(state: BrevoState, process: dict[str, Any]) -> None:
    """Finish ``process``: fail it when drawn, else write its rows and keep its reports."""
    if fail_if_drawn(state.failed_share, process):
        return
    body = process.pop("body")
    now = state.clock()
    seen: set[str] = set()
    reports: dict[str, list[str]] = {k: [] for k in REPORT_KINDS}
    touched: dict[str, str] = {}
    for item in body.get("jsonBody") or []:
        raw_email = str((item or {}).get("email") or "").strip()
        if not EMAIL.match(raw_email):
            reports["invalid_emails"].append(raw_email)
            continue
        if raw_email.lower() in seen:
            reports["duplicate_email_id"].append(raw_email)
            continue
        seen.add(raw_email.lower())
        signature = _import_row(state, item or {}, body, now)
        if signature is not None:
            touched[raw_email.lower()] = signature
            state.imported_states[(raw_email.lower(), signature)] += 1
    list_ids = [int(x) for x in body.get("listIds") or []]
    state.import_log.append({"process_id": process["id"], "list_ids": list_ids, "touched": touched})
    process["reports"] = {k: v for k, v in reports.items() if v}
    process["status"] = "completed"
    process["completed_at"] = now


def due_at(state: BrevoState, process: dict[str, Any]) -> float:
    """When ``process`` completes: ``import_delay`` plus ``import_per_1000_rows`` per 1,000 rows."""
    rows = int(process.get("rows", 0))
    return float(process["created"]) + state.import_delay + state.import_per_1000_rows * rows / 1000


def advance(state: BrevoState, process: dict[str, Any], *, polled: bool) -> None:
    """Move ``process`` on: count the poll, complete it when due, else ``in_process`` once queued long enough."""
    if polled:
        process["polls"] += 1
    if process["status"] in FINAL:
        return
    now = state.clock()
    enough_polls = state.complete_after_polls is not None and process["polls"] >= state.complete_after_polls
    if now >= due_at(state, process) or enough_polls:
        complete_import(state, process)
    elif now - process["created"] >= state.import_queued:
        process["status"] = "in_process"


def tick(state: BrevoState) -> None:
    """Move every unfinished import on (called before each request is answered)."""
    for process in list(state.processes.values()):
        advance(state, process, polled=False)
