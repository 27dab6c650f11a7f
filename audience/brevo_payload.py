"""Segmented people -> Brevo contact attributes, with a stable hash per contact.

The hash is what makes "push only what changed" possible: it is the sha256 of the
canonical JSON of ``{"email", "attributes"}``, the same bytes whatever the row
order or the pandas version. The canonical JSON is built column-wise (each
distinct value is encoded once), never with one ``json.dumps`` per person.
The attribute dicts share their value objects between people.
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
    "SIGNUP_STATUS": "text",
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
    # pending / approved / rejected / invited / joined: the platform sign-up, when there is one
    "SIGNUP_STATUS": "signup_status",
}

#: Attributes never cleared: who the person is. Brevo may hold a name or phone from elsewhere (a sign-up
#: form, a marketer's edit) that the sources do not know; the project only ever sets them. Every other
#: attribute is the project's own and is cleared when its value no longer applies.
KEPT_WHEN_MISSING: Final[frozenset[str]] = frozenset({"FIRSTNAME", "LASTNAME", "PHONE"})

#: Columns of the frame :func:`build_brevo_payloads` returns.
PAYLOAD_COLUMNS: Final[list[str]] = ["email", "attributes", "payload_hash", "removal_candidate"]

_DAY_US: Final[int] = 86_400_000_000


def _check_attribute_names() -> None:
    if set(BREVO_ATTRIBUTES) != set(ATTRIBUTE_COLUMNS):
        raise RuntimeError(
            "Brevo attribute definitions are inconsistent: BREVO_ATTRIBUTES vs ATTRIBUTE_COLUMNS"
        )


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


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def _attribute_column(
    name: str, series: pd.Series, brevo_type: BrevoType, *, clear_missing: bool = False
) -> tuple[ar.ObjectArray, ar.ObjectArray]:
    """Per row, the attribute's Python value and its ``"NAME":<json>`` fragment.

    Missing values give ``None`` (omitted), or ``""`` (Brevo's empty value, for every
    type) when ``clear_missing``.

    Each distinct value is converted and encoded once; rows share the resulting
    objects, which keeps a million attribute dicts small.
    """
    prefix = f'"{name}":'
    if brevo_type == "date":
        us = ar.to_us(series)
        days = pd.Series(np.where(us == ar.NAT, -1, us // _DAY_US))
        codes, uniques = ar.factorize(days.where(days >= 0))
        python: list[Any] = [str(np.datetime64(int(d), "D")) for d in uniques]
    else:
        codes, uniques = ar.factorize(series)
        if brevo_type == "text":
            python = [str(u) for u in uniques]
        elif brevo_type == "boolean":
            python = [bool(u) for u in uniques]
        else:
            python = [_number(u) for u in uniques]
    texts = [prefix + (_encode_text(v) if isinstance(v, str) else json.dumps(v)) for v in python]
    missing_value, missing_text = ("", prefix + '""') if clear_missing else (None, None)
    slot = np.where(codes < 0, len(python), codes)
    values = np.array([*python, missing_value], dtype=object)[slot]
    fragments = np.array([*texts, missing_text], dtype=object)[slot]
    return np.asarray(values, dtype=object), np.asarray(fragments, dtype=object)


def build_brevo_payloads(segmented_people: pd.DataFrame, *, clear_missing: bool = True) -> pd.DataFrame:
    """One Brevo contact per person: ``email``, ``attributes``, ``payload_hash``, ``removal_candidate``.

    ``attributes`` is a dict of :data:`BREVO_ATTRIBUTES` names to JSON values, read
    from :data:`ATTRIBUTE_COLUMNS`. A missing value of an attribute the project owns
    (all but :data:`KEPT_WHEN_MISSING`) is ``""``: an omitted attribute would keep its old
    value in Brevo (e.g. a recency segment that no longer applies), while ``""`` in an
    import with ``emptyContactsAttributes=true`` erases it (see
    :func:`audience.sync_plan.clears_values`). Missing names and phone are omitted, as is
    everything missing with ``clear_missing=False``; a missing source column means the
    attribute is omitted for everyone. The hash covers the ``""`` values, so a value that
    lapses changes the hash and a person whose values stay lapsed is not sent again. Dates are ``"YYYY-MM-DD"``
    (UTC day), whole numbers are ints. Only :data:`BREVO_ATTRIBUTES` names appear, none of them a
    blocklist field (the one list of those is ``connectors.brevo.payload``'s; a test holds the two apart).
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
    names = [name for name in sorted(BREVO_ATTRIBUTES) if ATTRIBUTE_COLUMNS[name] in segmented_people]
    columns = [
        _attribute_column(
            name,
            segmented_people[ATTRIBUTE_COLUMNS[name]],
            BREVO_ATTRIBUTES[name],
            clear_missing=clear_missing and name not in KEPT_WHEN_MISSING,
        )
        for name in names
    ]
    hashes = _hashes(email_values, [column[1] for column in columns])
    attributes = _attribute_dicts(names, [column[0] for column in columns], len(email_values))
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


def _hashes(emails: ar.ObjectArray, fragments: list[ar.ObjectArray]) -> list[str]:
    """Per person, the sha256 of :func:`canonical_json`, assembled from the attribute fragments.

    The fragments' keys are already in sorted order: one ``str.join`` per person instead of
    one ``json.dumps``.
    """
    join = ",".join
    sha256 = hashlib.sha256
    return [
        sha256(
            ('{"attributes":{' + join(filter(None, row)) + '},"email":' + _encode_text(email) + "}").encode(
                "ascii"
            )
        ).hexdigest()
        for email, *row in zip(emails, *fragments, strict=True)
    ]


def _attribute_dicts(names: list[str], values: list[ar.ObjectArray], size: int) -> ar.ObjectArray:
    """Per person, the dict of attribute name -> value, omitting ``None`` (as an object array)."""
    attributes = np.empty(size, dtype=object)
    attributes[:] = (
        [
            {k: v for k, v in zip(names, row, strict=True) if v is not None}
            for row in zip(*values, strict=True)
        ]
        if names
        else [{} for _ in range(size)]
    )
    return attributes
