"""Import payloads: rows in Brevo's shape, body sizes as sent, chunks sized by bytes.

Pure functions (no I/O). Sizes are measured exactly as httpx encodes JSON
(compact separators, UTF-8, ``ensure_ascii=False``), so a chunk of ``max_bytes``
is a request body of at most ``max_bytes``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

ImportRow = dict[str, Any]

#: Consent fields that set or clear a blocklist or an unsubscription: never sent by this connector,
#: in any spelling (compared case-insensitively), in any payload. An explicit ``false`` would
#: un-blocklist someone. The project's one copy of this list.
BLOCKLIST_FIELDS: frozenset[str] = frozenset(
    {
        "emailBlacklisted",
        "smsBlacklisted",
        "EMAIL_BLACKLISTED",
        "SMS_BLACKLISTED",
        "BLACKLISTED",
        "listUnsubscribed",
        "unlinkListIds",
        "emailBlacklist",
        "smsBlacklist",
        "email_blacklisted",
        "email_blacklist",
    }
)
_BLOCKLIST_LOWER = frozenset(name.lower() for name in BLOCKLIST_FIELDS)
_ATTRIBUTE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def is_blocklist_field(name: str) -> bool:
    """Whether ``name`` is one of :data:`BLOCKLIST_FIELDS`, in any case."""
    return name.strip().lower() in _BLOCKLIST_LOWER


def attribute_name(name: str) -> str:
    """Brevo's spelling of an attribute name (upper case); ValueError when it cannot be one.

    A blocklist field is refused: this connector never writes consent.
    """
    upper = name.strip().upper()
    if not _ATTRIBUTE_NAME.match(upper) or is_blocklist_field(upper):
        raise ValueError(f"{name!r} is not a usable Brevo attribute name")
    return upper


def import_row(email: str, attributes: Mapping[str, Any] | None = None) -> ImportRow:
    """One ``jsonBody`` item: trimmed email, upper-case attribute names, dates as ``YYYY-MM-DD``.

    ``None`` values are left out (the attribute is not touched); ``""`` is kept: it is
    Brevo's empty value, which erases the stored one in an import sent with
    ``emptyContactsAttributes=true`` (and changes nothing otherwise). Only ``email`` and
    ``attributes`` ever appear in the item.
    """
    attrs = {attribute_name(k): _value(v) for k, v in (attributes or {}).items() if v is not None}
    return {"email": email.strip(), "attributes": attrs}


def normalise_rows(rows: Sequence[Mapping[str, Any]]) -> list[ImportRow]:
    """Rows given as ``{"email", "attributes"}`` mappings, rebuilt with :func:`import_row`."""
    return [import_row(str(row["email"]), row.get("attributes")) for row in rows]


def type_problem(attributes: Mapping[str, Any], types: Mapping[str, str]) -> str | None:
    """Why one normalised row's attributes do not fit Brevo's attribute ``types``, or None.

    Brevo drops a value of the wrong type rather than failing the import, so checking
    here turns a silent loss into a rejected row with a reason.
    """
    wanted = {k.upper(): v for k, v in types.items()}
    for name, value in attributes.items():
        if value == "":
            continue  # the empty value of every type
        kind = wanted.get(name)
        if kind == "date" and not (isinstance(value, str) and _ISO_DATE.match(value)):
            return f"{name}: {value!r} is not a date (YYYY-MM-DD)"
        if kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"{name}: {value!r} is not a number"
        if kind == "boolean" and not isinstance(value, bool):
            return f"{name}: {value!r} is not a boolean"
        if kind == "text" and not isinstance(value, str | int | float):
            return f"{name}: {value!r} is not text"
    return None


def import_body(
    rows: Sequence[ImportRow], list_ids: Sequence[int], *, erase_empty: bool = False
) -> dict[str, Any]:
    """The ``POST /contacts/import`` body this connector sends (blocklist fields never included).

    ``erase_empty`` sets ``emptyContactsAttributes``: every ``""`` in the rows then erases
    the contact's stored value (only meaningful with ``updateExistingContacts``, always sent).
    ValueError when a row carries a blocklist field, at its top level or among its attributes.
    """
    for row in rows:
        names = [*row, *(row.get("attributes") or {})]
        if found := [name for name in names if is_blocklist_field(name)]:
            raise ValueError(f"refusing to send the blocklist field(s) {found} for {row.get('email')!r}")
    return {
        "jsonBody": list(rows),
        "listIds": list(list_ids),
        "updateExistingContacts": True,
        "emptyContactsAttributes": erase_empty,
        "disableNotification": True,
    }


def encoded_size(value: Any) -> int:
    """Bytes of ``value`` as httpx sends it as JSON."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode())


def chunk_rows(
    rows: Sequence[ImportRow], *, max_bytes: int, list_ids: Sequence[int] = (0,)
) -> Iterator[list[ImportRow]]:
    """Split ``rows`` into chunks whose whole import body is at most ``max_bytes``.

    Greedy and order-preserving; ValueError when one row alone does not fit.
    """
    overhead = encoded_size(import_body([], list(list_ids) or [0])) + 12  # room for larger list ids
    chunk: list[ImportRow] = []
    size = overhead
    for row in rows:
        row_size = encoded_size(row)
        if overhead + row_size > max_bytes:
            raise ValueError(
                f"one import row is {row_size} bytes, more than the {max_bytes}-byte chunk limit"
            )
        extra = row_size + (1 if chunk else 0)  # the comma between items
        if size + extra > max_bytes:
            yield chunk
            chunk, size, extra = [], overhead, row_size
        chunk.append(row)
        size += extra
    if chunk:
        yield chunk
