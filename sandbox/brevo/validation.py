"""Request checks of the Brevo twin: wrong input gets Brevo's 400, never a crash.

Order of checks for every ``/v3`` request (the twin's ``endpoint`` wrapper):

1. **Rate budget** (429 without ``Retry-After``), because Brevo counts every call.
2. **API key** (401 ``unauthorized``) *before* the body is read, so a bad key with a bad or
   oversized body still answers 401 as Brevo does.
3. **Body size** (413) and **JSON syntax** (400 ``bad_request``).
4. **This module**: query parameters and body fields of the wrong JSON type answer
   400 ``invalid_parameter`` with Brevo's JSON-schema style message (``listIds/0 should be
   type number``, ``listIds should be type array``: the real answers quoted in
   getbrevo/brevo-php#15); a ``sort`` outside ``asc|desc``, a date without its time for
   ``modifiedSince`` / ``createdSince`` (the definition asks for
   ``YYYY-MM-DDTHH:mm:ss.SSSZ``) and invalid recipients on ``/smtp/email`` likewise.
   An import's ``jsonBody`` must be a list of objects, refused at once otherwise, so no
   stored process can hold a body that later breaks the twin.
5. The route's handler (existence of lists, limits, duplicates: the twin's own rules).

Only types are checked here; which fields are required stays with the handlers, which
answer ``missing_parameter`` in Brevo's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: A field's expected JSON type: a JSON-schema type name, or a rule of this module.
Kind = str
Check = Callable[[Mapping[str, str], Any], None]
QueryRule = Callable[[str, str], None]
BodyRule = Mapping[str, Kind] | Callable[[Any], None] | None

EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
#: An attribute of type ``date``: the day alone.
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TYPE_NAMES = {
    "integer": "number",
    "string": "string",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}


class RequestRefused(Exception):
    """A request Brevo answers with 400 (``code`` from Brevo's error enum)."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    return isinstance(value, list)


def _check_value(path: str, kind: Kind, value: Any) -> None:
    """Refuse ``value`` at ``path`` unless it is of ``kind`` (``array<x>`` checks each item)."""
    if value is None:
        return
    if kind.startswith("array<"):
        _check_value(path, "array", value)
        inner = kind[len("array<") : -1]
        for index, item in enumerate(value):
            _check_value(f"{path}/{index}", inner, item)
            if item is None:
                raise RequestRefused(
                    "invalid_parameter", f"{path}/{index} should be type {_TYPE_NAMES[inner]}"
                )
        return
    if not _is(kind, value):
        raise RequestRefused("invalid_parameter", f"{path} should be type {_TYPE_NAMES[kind]}")


def check_fields(body: Mapping[str, Any], fields: Mapping[str, Kind], prefix: str = "") -> None:
    """Check the declared ``fields`` of ``body`` (undeclared fields pass, as Brevo ignores them)."""
    for name, kind in fields.items():
        if name in body:
            _check_value(f"{prefix}{name}", kind, body[name])


# --------------------------------------------------------------------------- query


def _query_int(name: str, raw: str) -> None:
    if not re.fullmatch(r"-?\d+", raw.strip()):
        raise RequestRefused("invalid_parameter", f"{name} should be type number")


def _query_int_list(name: str, raw: str) -> None:
    for index, part in enumerate(raw.split(",")):
        if part.strip() and not part.strip().isdigit():
            raise RequestRefused("invalid_parameter", f"{name}/{index} should be type number")


def _query_sort(name: str, raw: str) -> None:
    if raw not in ("asc", "desc"):
        raise RequestRefused("invalid_parameter", f"{name} should be one of asc, desc")


def _query_date_time(name: str, raw: str) -> None:
    if not DATE_TIME.match(raw.strip()):
        raise RequestRefused(
            "invalid_parameter", f"{name} should be a date-time in YYYY-MM-DDTHH:mm:ss.SSSZ format"
        )


def _query_identifier_type(name: str, raw: str) -> None:
    kinds = ("email_id", "contact_id", "ext_id", "phone_id", "whatsapp_id", "landline_number_id")
    if raw not in kinds:
        raise RequestRefused("invalid_parameter", f"{name} should be one of {', '.join(kinds)}")


PAGING: dict[str, QueryRule] = {"limit": _query_int, "offset": _query_int, "sort": _query_sort}
CONTACT_QUERY: dict[str, QueryRule] = {
    **PAGING,
    "modifiedSince": _query_date_time,
    "createdSince": _query_date_time,
    "listIds": _query_int_list,
    "segmentId": _query_int,
}


# --------------------------------------------------------------------------- bodies


def _import_body(body: Any) -> None:
    check_fields(body, IMPORT_FIELDS)
    for index, row in enumerate(body.get("jsonBody") or []):
        check_fields(row, {"email": "string", "attributes": "object"}, f"jsonBody/{index}/")
    check_fields(body.get("newList") or {}, {"listName": "string", "folderId": "integer"}, "newList/")


def _smtp_body(body: Any) -> None:
    check_fields(body, SMTP_FIELDS)
    for role in ("to", "cc", "bcc"):
        for index, person in enumerate(body.get(role) or []):
            email = person.get("email")
            if email is not None and not (isinstance(email, str) and EMAIL.match(email.strip())):
                raise RequestRefused("invalid_parameter", f"email is not valid in {role}/{index}")
    for role in ("sender", "replyTo"):
        email = (body.get(role) or {}).get("email")
        if email is not None and not (isinstance(email, str) and EMAIL.match(email.strip())):
            raise RequestRefused("invalid_parameter", f"{role}/email is not valid")


def _batch_body(body: Any) -> None:
    check_fields(body, {"contacts": "array<object>"})
    for index, item in enumerate(body.get("contacts") or []):
        check_fields(item, {**CONTACT_FIELDS, "id": "integer"}, f"contacts/{index}/")


IMPORT_FIELDS = {
    "jsonBody": "array<object>",
    "listIds": "array<integer>",
    "fileBody": "string",
    "fileUrl": "string",
    "notifyUrl": "string",
    "newList": "object",
    "emailBlacklist": "boolean",
    "smsBlacklist": "boolean",
    "updateExistingContacts": "boolean",
    "emptyContactsAttributes": "boolean",
    "disableNotification": "boolean",
}
SMTP_FIELDS = {
    "sender": "object",
    "to": "array<object>",
    "cc": "array<object>",
    "bcc": "array<object>",
    "replyTo": "object",
    "subject": "string",
    "htmlContent": "string",
    "textContent": "string",
    "templateId": "integer",
    "params": "object",
    "headers": "object",
    "tags": "array<string>",
}
CONTACT_FIELDS = {
    "email": "string",
    "ext_id": "string",
    "attributes": "object",
    "emailBlacklisted": "boolean",
    "smsBlacklisted": "boolean",
    "listIds": "array<integer>",
    "unlinkListIds": "array<integer>",
    "updateEnabled": "boolean",
    "smtpBlacklistSender": "array<string>",
}
LIST_CHANGE_FIELDS = {
    "emails": "array<string>",
    "ids": "array<integer>",
    "extIds": "array<string>",
    "all": "boolean",
}

#: (method, path below /v3) -> (query rules, body fields or a body rule)
RULES: dict[tuple[str, str], tuple[Mapping[str, QueryRule], BodyRule]] = {
    ("GET", "/contacts"): (CONTACT_QUERY, None),
    ("GET", "/contacts/lists"): (PAGING, None),
    ("GET", "/contacts/folders"): (PAGING, None),
    ("GET", "/processes"): (PAGING, None),
    ("GET", "/contacts/lists/{list_id:int}/contacts"): (CONTACT_QUERY, None),
    ("GET", "/contacts/{identifier}"): ({"identifierType": _query_identifier_type}, None),
    ("DELETE", "/contacts/{identifier}"): ({"identifierType": _query_identifier_type}, None),
    ("PUT", "/contacts/{identifier}"): ({"identifierType": _query_identifier_type}, CONTACT_FIELDS),
    ("POST", "/contacts"): ({}, CONTACT_FIELDS),
    ("POST", "/contacts/batch"): ({}, _batch_body),
    ("POST", "/contacts/import"): ({}, _import_body),
    ("POST", "/contacts/folders"): ({}, {"name": "string"}),
    ("POST", "/contacts/lists"): ({}, {"name": "string", "folderId": "integer"}),
    ("POST", "/contacts/lists/{list_id:int}/contacts/add"): ({}, LIST_CHANGE_FIELDS),
    ("POST", "/contacts/lists/{list_id:int}/contacts/remove"): ({}, LIST_CHANGE_FIELDS),
    ("POST", "/contacts/attributes/{category}/{name}"): (
        {},
        {"type": "string", "value": "string", "enumeration": "array<object>", "isRecurring": "boolean"},
    ),
    ("POST", "/smtp/email"): ({}, _smtp_body),
}


def request_check(method: str, path: str) -> Check:
    """The check for one twin route (``path`` as the twin declares it, below ``/v3``).

    The returned callable takes the query parameters and the parsed JSON body (None when
    empty) and raises :class:`RequestRefused` for what Brevo refuses with a 400.
    """
    query_rules, body_rule = RULES.get((method, path), ({}, None))

    def check(query: Mapping[str, str], body: Any) -> None:
        for name, rule in query_rules.items():
            if name in query:
                rule(name, query[name])
        if method in ("POST", "PUT") and body is not None and not isinstance(body, dict):
            raise RequestRefused("bad_request", "Request body should be a JSON object")
        if body is None or body_rule is None:
            return
        if isinstance(body_rule, Mapping):
            check_fields(body, body_rule)
        else:
            body_rule(body)

    return check
