import hashlib
import json

import pandas as pd
import pytest

from audience.brevo_payload import (
    ATTRIBUTE_COLUMNS,
    BREVO_ATTRIBUTES,
    KEPT_WHEN_MISSING,
    PAYLOAD_COLUMNS,
    build_brevo_payloads,
    canonical_json,
    payload_hash,
)
from audience.segments import SegmentThresholds, segment_people
from connectors.brevo.payload import BLOCKLIST_FIELDS
from tests.audience.helpers import AS_OF, days_ago, people


def _segmented() -> pd.DataFrame:
    return segment_people(
        people(
            {
                "email": "ana@x.io",
                "first_name": "Ana",
                "last_name": 'O\'Neil "Nell"',
                "phone": "+351 91",
                "counted_bookings": 5,
                "upcoming_bookings": 1,
                "last_counted_at": days_ago(12),
                "first_seen": pd.Timestamp("2025-01-02T23:30:00Z"),
                "sources": "easyappointments,zoom",
                "services_used": "Épée,Foil",
                "webinars_attended": 1,
            },
            {
                "email": "bo@x.io",
                "events_attended": 2,
                "tickets": 2,
                "tickets_active": 2,
                "last_event_date": pd.Timestamp("2026-10-03T19:00:00Z"),
                "sources": "eventbrite",
            },
            {"email": "cy@x.io", "tickets": 1, "all_tickets_void": True, "sources": "poshvip"},
        ),
        AS_OF,
        SegmentThresholds(),
    )


def test_attribute_definitions() -> None:
    assert set(BREVO_ATTRIBUTES) == set(ATTRIBUTE_COLUMNS)
    assert all(name == name.upper() for name in BREVO_ATTRIBUTES)
    assert set(BREVO_ATTRIBUTES.values()) <= {"text", "date", "float", "boolean"}
    required = {
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
        "EVENTS_ATTENDED": "float",
        "WEBINARS_ATTENDED": "float",
        "FIRST_SEEN": "date",
        "LAST_BOOKING_DATE": "date",
        "LAST_EVENT_DATE": "date",
    }
    assert {k: BREVO_ATTRIBUTES[k] for k in required} == required
    # The blocklist fields live once, in the connector; no attribute of ours may be one of them.
    assert not {n.lower() for n in BREVO_ATTRIBUTES} & {n.lower() for n in BLOCKLIST_FIELDS}


def test_payload_values() -> None:
    payloads = build_brevo_payloads(_segmented())
    assert list(payloads.columns) == PAYLOAD_COLUMNS
    ana, bo, cy = payloads["attributes"]
    assert ana == {
        "FIRSTNAME": "Ana",
        "LASTNAME": 'O\'Neil "Nell"',
        "PHONE": "+351 91",
        "ENGARDE_SEGMENT": "loyal_customer",
        "ENGARDE_RECENCY": "recent_customer",
        "ENGARDE_TAGS": "loyal_customer,recent_customer,source_easyappointments,source_zoom",
        "SEGMENT_REASON": "5 counted bookings; last 12 days ago; 1 upcoming; 1 webinar attended",
        "SOURCES": "easyappointments,zoom",
        "SERVICES_USED": "Épée,Foil",
        "TOTAL_BOOKINGS": 5,
        "UPCOMING_BOOKINGS": 1,
        "CANCELLED_BOOKINGS": 0,
        "NO_SHOWS": 0,
        "EVENTS_ATTENDED": 0,
        "WEBINARS_ATTENDED": 1,
        "TICKETS_ACTIVE": 0,
        "FIRST_SEEN": "2025-01-02",
        "LAST_BOOKING_DATE": (AS_OF - pd.Timedelta(days=12)).strftime("%Y-%m-%d"),
        "LAST_EVENT_DATE": "",
    }
    # Missing values of the project's own attributes are Brevo's empty value, never null; a
    # missing name or phone is omitted (Brevo may know it from elsewhere).
    assert "FIRSTNAME" not in bo and bo["ENGARDE_SEGMENT"] == "" and bo["LAST_BOOKING_DATE"] == ""
    assert bo["LAST_EVENT_DATE"] == "2026-10-03"
    assert bo["EVENTS_ATTENDED"] == 2
    assert all(v is not None and v == v for a in (ana, bo, cy) for v in a.values())
    assert payloads["removal_candidate"].tolist() == [False, False, True]
    for attributes in payloads["attributes"]:
        assert set(attributes) <= set(BREVO_ATTRIBUTES)
        assert not {n.lower() for n in attributes} & {n.lower() for n in BLOCKLIST_FIELDS}


def test_hash_is_sha256_of_canonical_json() -> None:
    payloads = build_brevo_payloads(_segmented())
    for email, attributes, digest in payloads[["email", "attributes", "payload_hash"]].itertuples(
        index=False
    ):
        text = json.dumps({"email": email, "attributes": attributes}, sort_keys=True, separators=(",", ":"))
        assert canonical_json(email, attributes) == text
        assert digest == hashlib.sha256(text.encode()).hexdigest() == payload_hash(email, attributes)


def test_hash_is_stable_and_row_order_free() -> None:
    segmented = _segmented()
    first = build_brevo_payloads(segmented).set_index("email")["payload_hash"]
    again = build_brevo_payloads(segmented.iloc[::-1]).set_index("email")["payload_hash"]
    pd.testing.assert_series_equal(first, again.loc[first.index])
    assert first.is_unique


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("first_name", "Anna"),
        ("counted_bookings", 6),
        ("last_counted_at", days_ago(11)),
        ("segment_reason", "x"),
        ("phone", None),
    ],
)
def test_hash_changes_when_an_attribute_changes(column: str, value: object) -> None:
    segmented = _segmented()
    before = build_brevo_payloads(segmented)["payload_hash"].tolist()
    segmented.loc[0, column] = value
    after = build_brevo_payloads(segmented)["payload_hash"].tolist()
    assert after[0] != before[0]
    assert after[1:] == before[1:]


def test_columns_outside_the_payload_do_not_change_the_hash() -> None:
    segmented = _segmented()
    before = build_brevo_payloads(segmented)["payload_hash"].tolist()
    segmented.loc[0, "n_interactions"] = 99
    segmented.loc[0, "last_seen"] = days_ago(1)
    assert build_brevo_payloads(segmented)["payload_hash"].tolist() == before


def test_missing_email_is_refused() -> None:
    segmented = _segmented()
    segmented.loc[1, "email"] = None
    with pytest.raises(ValueError, match="email"):
        build_brevo_payloads(segmented)


def test_empty_input() -> None:
    payloads = build_brevo_payloads(_segmented().iloc[0:0])
    assert list(payloads.columns) == PAYLOAD_COLUMNS and len(payloads) == 0


def test_clear_missing_sends_empty_values_for_every_owned_attribute() -> None:
    segmented = _segmented()
    segmented["signup_status"] = pd.array([pd.NA] * len(segmented), dtype="string")
    segmented["events_attended"] = pd.array([0, pd.NA, 0], dtype="Int64")
    kept = build_brevo_payloads(segmented, clear_missing=False)
    cleared = build_brevo_payloads(segmented)
    bo = cleared.loc[1, "attributes"]
    assert bo["ENGARDE_SEGMENT"] == "" and bo["LAST_BOOKING_DATE"] == "" and bo["EVENTS_ATTENDED"] == ""
    assert set(bo) == set(BREVO_ATTRIBUTES) - KEPT_WHEN_MISSING
    assert "EVENTS_ATTENDED" not in kept.loc[1, "attributes"]
    assert cleared.loc[1, "payload_hash"] == payload_hash("bo@x.io", bo)
    assert cleared.loc[1, "payload_hash"] != kept.loc[1, "payload_hash"]
    # ana only lacked LAST_EVENT_DATE (and has no sign-up).
    assert cleared.loc[0, "attributes"] == {
        **kept.loc[0, "attributes"],
        "LAST_EVENT_DATE": "",
        "SIGNUP_STATUS": "",
    }
