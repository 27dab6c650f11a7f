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
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from audience import _arrays as ar

_encode_text: Callable[[str], str] = json.encoder.encode_basestring_ascii
_loads: Callable[[str], Any]
try:  # orjson (pinned via prefect) parses ~4x faster; the stdlib gives identical values.
    from orjson import loads as _loads
except ImportError:  # pragma: no cover
    _loads = json.JSONDecoder().decode

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


def _number_json(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _json_fragments(name: str, series: pd.Series, brevo_type: BrevoType) -> ar.ObjectArray:
    """Per row, ``"NAME":<json value>`` for ``series`` as ``brevo_type``; ``None`` where missing.

    Text is escaped row by row with the C encoder (most text columns are nearly
    unique, so factorizing them would cost more); numbers and dates, which repeat a
    lot, are formatted once per distinct value.
    """
    prefix = f'"{name}":'
    if brevo_type == "text":
        values = np.asarray(series.astype(object).where(series.notna(), None), dtype=object)
        out = np.full(len(values), None, dtype=object)
        present = values != None  # noqa: E711 - elementwise on an object array
        out[present] = [prefix + _encode_text(v) for v in values[present]]
        return out
    if brevo_type == "date":
        us = ar.to_us(series)
        days = pd.Series(np.where(us == ar.NAT, -1, us // _DAY_US))
        codes, uniques = ar.factorize(days.where(days >= 0))
        texts = [f'{prefix}"{np.datetime64(int(d), "D")}"' for d in uniques]
    elif brevo_type == "boolean":
        codes, uniques = ar.factorize(series)
        texts = [prefix + ("true" if u else "false") for u in uniques]
    else:
        codes, uniques = ar.factorize(series)
        texts = [prefix + _number_json(u) for u in uniques]
    lookup = np.array([*texts, None], dtype=object)
    return np.asarray(lookup[np.where(codes < 0, len(lookup) - 1, codes)], dtype=object)


def build_brevo_payloads(segmented_people: pd.DataFrame) -> pd.DataFrame:
    """One Brevo contact per person: ``email``, ``attributes``, ``payload_hash``, ``removal_candidate``.

    ``attributes`` is a dict of :data:`BREVO_ATTRIBUTES` names to JSON values, read
    from :data:`ATTRIBUTE_COLUMNS`; missing values are omitted (a missing source
    column means the attribute is omitted for everyone). Dates are ``"YYYY-MM-DD"``
    (UTC day), whole numbers are ints. No :data:`BLOCKLIST_FIELDS` entry can ever appear.
    ``payload_hash`` is the sha256 hex of :func:`canonical_json` of email and
    attributes, so it changes exactly when something sent to Brevo changes.
    ``removal_candidate`` is passed through from :func:`audience.segments.segment_people`
    (``False`` when absent). Index: default, same order as the input.
    """
    _check_attribute_names()
    emails = segmented_people["email"].astype("string")
    if bool(emails.isna().any()):
        raise ValueError("every payload needs an email")
    email_values = emails.to_numpy(dtype=object)
    fragments = [
        _json_fragments(name, segmented_people[ATTRIBUTE_COLUMNS[name]], BREVO_ATTRIBUTES[name])
        for name in sorted(BREVO_ATTRIBUTES)
        if ATTRIBUTE_COLUMNS[name] in segmented_people
    ]
    # The attributes object's JSON is built once per person from per-column fragments
    # (keys already in sorted order); the hash and the dict both come from that text,
    # so what is hashed is exactly what is sent.
    join = ",".join
    bodies = (
        ["{" + join(filter(None, row)) + "}" for row in zip(*fragments, strict=True)]
        if fragments
        else ["{}"] * len(email_values)
    )
    sha256 = hashlib.sha256
    hashes = [
        sha256(f'{{"attributes":{body},"email":{_encode_text(email)}}}'.encode("ascii")).hexdigest()
        for body, email in zip(bodies, email_values, strict=True)
    ]
    attributes = np.empty(len(bodies), dtype=object)
    attributes[:] = [_loads(body) for body in bodies]
    del bodies
    removal = (
        segmented_people["removal_candidate"].to_numpy(dtype=np.bool_)
        if "removal_candidate" in segmented_people
        else np.zeros(len(emails), dtype=np.bool_)
    )
    return pd.DataFrame(
        {
            "email": pd.array(email_values, dtype="string"),
            "attributes": attributes,
            "payload_hash": pd.array(hashes, dtype="string"),
            "removal_candidate": removal,
        }
    )
