"""Segmented people -> Brevo contact attributes, with a stable hash per contact.

The hash is what makes "push only what changed" possible: it is the sha256 of the
canonical JSON of ``{"email", "attributes"}``, the same bytes whatever the row
order or the pandas version. The canonical JSON is built column-wise (each
distinct value is encoded once), never with one ``json.dumps`` per person.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from audience import _arrays as ar

BrevoType = Literal["text", "date", "float", "boolean"]

#: Brevo contact attribute (UPPERCASE, as Brevo wants it) -> Brevo attribute type.
BREVO_ATTRIBUTES: Final[dict[str, BrevoType]] = {
    "FIRSTNAME": "text",
    "LASTNAME": "text",
    "PHONE": "text",
    "ENGARDE_SEGMENT": "text",
    "ENGARDE_RECENCY": "text",
    "ENGARDE_TAGS": "text",
    "SEGMENT_REASON": "text",
    "SOURCES": "text",
    "SERVICES_USED": "text",
    "TOTAL_BOOKINGS": "float",
    "UPCOMING_BOOKINGS": "float",
    "CANCELLED_BOOKINGS": "float",
    "NO_SHOWS": "float",
    "EVENTS_ATTENDED": "float",
    "WEBINARS_ATTENDED": "float",
    "TICKETS_ACTIVE": "float",
    "FIRST_SEEN": "date",
    "LAST_BOOKING_DATE": "date",
    "LAST_EVENT_DATE": "date",
}

#: Brevo attribute -> the segmented-people column it is read from.
ATTRIBUTE_COLUMNS: Final[dict[str, str]] = {
    "FIRSTNAME": "first_name",
    "LASTNAME": "last_name",
    "PHONE": "phone",
    "ENGARDE_SEGMENT": "frequency_segment",
    "ENGARDE_RECENCY": "recency_segment",
    "ENGARDE_TAGS": "tags",
    "SEGMENT_REASON": "segment_reason",
    "SOURCES": "sources",
    "SERVICES_USED": "services_used",
    "TOTAL_BOOKINGS": "counted_bookings",
    "UPCOMING_BOOKINGS": "upcoming_bookings",
    "CANCELLED_BOOKINGS": "cancelled",
    "NO_SHOWS": "no_shows",
    "EVENTS_ATTENDED": "events_attended",
    "WEBINARS_ATTENDED": "webinars_attended",
    "TICKETS_ACTIVE": "tickets_active",
    "FIRST_SEEN": "first_seen",
    "LAST_BOOKING_DATE": "last_counted_at",
    "LAST_EVENT_DATE": "last_event_date",
}

#: Consent fields we must never send: an explicit ``false`` would un-blocklist someone.
BLOCKLIST_FIELDS: Final[frozenset[str]] = frozenset(
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
    }
)

#: Columns of the frame :func:`build_brevo_payloads` returns.
PAYLOAD_COLUMNS: Final[list[str]] = ["email", "attributes", "payload_hash", "removal_candidate"]

_DAY_US: Final[int] = 86_400_000_000


def _check_attribute_names() -> None:
    upper_blocklist = {name.upper() for name in BLOCKLIST_FIELDS}
    clash = {name for name in BREVO_ATTRIBUTES if name.upper() in upper_blocklist}
    if clash or set(BREVO_ATTRIBUTES) != set(ATTRIBUTE_COLUMNS):
        raise RuntimeError(f"Brevo attribute definitions are inconsistent: {sorted(clash)}")


def canonical_json(email: str, attributes: dict[str, Any]) -> str:
    """The canonical JSON of one contact (sorted keys, no spaces, ASCII-escaped).

    This is the reference definition; :func:`build_brevo_payloads` produces the same
    text column-wise and tests hold the two together.
    """
    return json.dumps(
        {"email": email, "attributes": attributes}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )


def payload_hash(email: str, attributes: dict[str, Any]) -> str:
    """sha256 hex digest of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(email, attributes).encode("ascii")).hexdigest()


def _encode_by_value(
    codes: ar.Int64Array, uniques: list[Any], encode: Callable[[Any], str]
) -> ar.ObjectArray:
    lookup = np.array([*(encode(u) for u in uniques), None], dtype=object)
    return lookup[np.where(codes < 0, len(lookup) - 1, codes)]


def _json_values(series: pd.Series, brevo_type: BrevoType) -> ar.ObjectArray:
    """The JSON text of every value of ``series`` as ``brevo_type``; ``None`` where missing."""
    if brevo_type == "date":
        us = ar.to_us(series)
        days = pd.Series(np.where(us == ar.NAT, -1, us // _DAY_US))
        codes, uniques = ar.factorize(days.where(days >= 0))
        return _encode_by_value(codes, uniques, lambda d: f'"{np.datetime64(int(d), "D")}"')
    codes, uniques = ar.factorize(series)
    if brevo_type == "text":
        return _encode_by_value(codes, uniques, lambda v: str(encode_basestring_ascii(str(v))))
    if brevo_type == "boolean":
        return _encode_by_value(codes, uniques, lambda v: "true" if v else "false")
    # Counts are whole numbers: written as JSON integers (Brevo "float" accepts them).
    return _encode_by_value(
        codes, uniques, lambda v: str(int(v)) if float(v).is_integer() else repr(float(v))
    )


def build_brevo_payloads(segmented_people: pd.DataFrame) -> pd.DataFrame:
    """One Brevo contact per person: ``email``, ``attributes``, ``payload_hash``, ``removal_candidate``.

    ``attributes`` is a dict of :data:`BREVO_ATTRIBUTES` names to JSON values, read
    from :data:`ATTRIBUTE_COLUMNS`; missing values are omitted (a missing source
    column means the attribute is omitted for everyone). Dates are ``"YYYY-MM-DD"``
    (UTC day), counts are integers. No :data:`BLOCKLIST_FIELDS` entry can ever appear.
    ``payload_hash`` is the sha256 hex of :func:`canonical_json` of email and
    attributes, so it changes exactly when something sent to Brevo changes.
    ``removal_candidate`` is passed through from :func:`audience.segments.segment_people`
    (``False`` when absent). Index: default, same order as the input.
    """
    _check_attribute_names()
    n = len(segmented_people)
    body = np.full(n, None, dtype=object)
    for name in sorted(BREVO_ATTRIBUTES):
        column = ATTRIBUTE_COLUMNS[name]
        if column not in segmented_people:
            continue
        values = _json_values(segmented_people[column], BREVO_ATTRIBUTES[name])
        present = values != None  # noqa: E711 - elementwise on an object array
        fragment = np.full(n, None, dtype=object)
        fragment[present] = f'"{name}":' + values[present]
        both = present & (body != None)  # noqa: E711
        only_new = present & ~both
        body[both] = body[both] + ("," + fragment[both])
        body[only_new] = fragment[only_new]
    body[body == None] = ""  # noqa: E711
    emails = segmented_people["email"].astype("string")
    if bool(emails.isna().any()):
        raise ValueError("every payload needs an email")
    email_codes, email_uniques = ar.factorize(emails)
    email_json = _encode_by_value(email_codes, email_uniques, lambda v: str(encode_basestring_ascii(str(v))))
    texts = '{"attributes":{' + body + '},"email":' + email_json + "}"
    sha256 = hashlib.sha256
    hashes = [sha256(text.encode("ascii")).hexdigest() for text in texts]
    decode = json.JSONDecoder().decode
    attributes = np.empty(n, dtype=object)
    attributes[:] = [decode("{" + fragment + "}") for fragment in body]
    removal = (
        segmented_people["removal_candidate"].to_numpy(dtype=np.bool_)
        if "removal_candidate" in segmented_people
        else np.zeros(n, dtype=np.bool_)
    )
    return pd.DataFrame(
        {
            "email": pd.array(emails.to_numpy(dtype=object), dtype="string"),
            "attributes": attributes,
            "payload_hash": pd.array(hashes, dtype="string"),
            "removal_candidate": removal,
        }
    )
