"""EasyAppointments records → interactions, on small literal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest

from audience.from_easyappointments import (
    DROPPED_ATTR,
    AppointmentMapper,
    appointment_columns,
    appointments_to_interactions,
    mark_vanished,
)
from audience.schema import INTERACTION_COLUMNS, INTERACTION_DTYPES
from audience.status import StatusMapping, map_booking_status

CUSTOMERS = [
    {
        "id": 10,
        "firstName": "Ana",
        "lastName": "Silva",
        "email": "  Ana.Silva@Example.ORG ",
        "phone": "+351",
        "timezone": "Europe/Lisbon",
        "language": "portuguese",
    },
    {
        "id": 11,
        "firstName": "Bo",
        "lastName": "Kim",
        "email": "not-an-email",
        "phone": None,
        "timezone": "UTC",
        "language": "english",
    },
]
SERVICES = [
    {"id": 1, "name": "Private Lesson", "price": 80.0, "currency": "EUR"},
    {"id": 2, "name": "Consultation", "price": 0, "currency": ""},
]
PROVIDERS = [
    {"id": 2, "firstName": "Alice", "lastName": "Marchetti"},
    {"id": 3, "firstName": "Bruno", "lastName": None},
]


def appointment(
    id_: int, status: str | None, start: str = "2026-07-01 10:00:00", **kw: Any
) -> dict[str, Any]:
    return {
        "id": id_,
        "book": "2026-06-20 09:30:00",
        "start": start,
        "end": "2026-07-01 11:00:00",
        "status": status,
        "customerId": 10,
        "providerId": 2,
        "serviceId": 1,
        **kw,
    }


def test_local_times_become_utc_in_summer_and_winter() -> None:
    frame = appointments_to_interactions(
        [appointment(1, "Booked"), appointment(2, "Booked", start="2026-01-15 10:00:00")],
        CUSTOMERS,
        SERVICES,
        PROVIDERS,
        tz="Europe/Lisbon",
    )
    assert frame["occurred_at"].tolist() == [
        pd.Timestamp("2026-07-01 09:00:00", tz="UTC"),
        pd.Timestamp("2026-01-15 10:00:00", tz="UTC"),
    ]
    assert frame["created_at"].iloc[0] == pd.Timestamp("2026-06-20 08:30:00", tz="UTC")


def test_aware_datetimes_are_only_converted() -> None:
    record = appointment(1, "Booked", start=datetime(2026, 7, 1, 9, 0, tzinfo=UTC))  # type: ignore[arg-type]
    frame = appointments_to_interactions([record], CUSTOMERS, SERVICES, PROVIDERS, tz="Asia/Tokyo")
    assert frame["occurred_at"].iloc[0] == pd.Timestamp("2026-07-01 09:00:00", tz="UTC")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Booked", "booked"),
        ("Confirmed", "booked"),
        ("Rescheduled", "booked"),
        ("", "booked"),
        (None, "booked"),
        ("Cancelled", "cancelled"),
        ("cancelled by customer", "cancelled"),
        ("CANCELED", "cancelled"),
        ("No-show", "no_show"),
        ("NoShow", "no_show"),
        ("no  show", "no_show"),
        ("Draft", None),
    ],
)
def test_status_mapping(raw: str | None, expected: str | None) -> None:
    mapped = map_booking_status(pd.Series([raw], dtype="object")).iloc[0]
    assert (mapped if mapped is not pd.NA else None) == expected


def test_custom_status_patterns() -> None:
    patterns = StatusMapping(cancelled=("annul",), no_show=("absent",), dropped=("brouillon",))
    mapped = map_booking_status(pd.Series(["Annulé", "Absent", "Brouillon", "Cancelled"]), patterns)
    assert mapped.tolist()[:2] == ["cancelled", "no_show"]
    assert mapped.isna().tolist() == [False, False, True, False]
    assert mapped.iloc[3] == "booked"


def test_drafts_are_dropped_and_counted() -> None:
    frame = appointments_to_interactions(
        [appointment(1, "Draft"), appointment(2, "Booked"), appointment(3, "draft booking")],
        CUSTOMERS,
        SERVICES,
        PROVIDERS,
        tz="UTC",
    )
    assert frame["source_id"].tolist() == ["2"]
    assert frame.attrs[DROPPED_ATTR] == 2


def test_fields_are_joined_and_typed() -> None:
    frame = appointments_to_interactions(
        [
            appointment(7, "Booked"),
            appointment(8, "Cancelled", customerId=11, serviceId=2, providerId=3),
            appointment(9, "Booked", customerId=999),
        ],
        CUSTOMERS,
        SERVICES,
        PROVIDERS,
        tz="UTC",
    )
    assert list(frame.columns) == INTERACTION_COLUMNS
    assert {c: str(t) for c, t in frame.dtypes.items()} == {k: str(v) for k, v in INTERACTION_DTYPES.items()}
    first, second, third = (frame.iloc[i] for i in range(3))
    assert (first["source"], first["source_id"], first["kind"], first["status"]) == (
        "easyappointments",
        "7",
        "booking",
        "booked",
    )
    assert first["email_raw"] == "  Ana.Silva@Example.ORG "
    assert first["email"] == "ana.silva@example.org"
    assert (first["service"], first["event_id"], first["amount"], first["currency"]) == (
        "Private Lesson",
        "1",
        80.0,
        "EUR",
    )
    assert (first["provider"], first["timezone"], first["language"]) == (
        "Alice Marchetti",
        "Europe/Lisbon",
        "portuguese",
    )
    # an invalid email is kept raw, with no normalised email
    assert second["email_raw"] == "not-an-email" and second["email"] is pd.NA
    assert (second["status"], second["provider"], second["amount"]) == ("cancelled", "Bruno", 0.0)
    assert second["currency"] is pd.NA
    # an appointment whose customer is gone keeps its row, without person fields
    assert third["source_id"] == "9" and third["email"] is pd.NA and third["first_name"] is pd.NA


def test_models_and_mappings_give_the_same_frame() -> None:
    @dataclass
    class Record:
        id: int
        book: str
        start: str
        end: str
        status: str
        customerId: int
        providerId: int
        serviceId: int

    records = [appointment(1, "Booked"), appointment(2, "No-show", start="2026-03-29 01:30:00")]
    as_objects = [Record(**r) for r in records]
    by_dicts = appointments_to_interactions(records, CUSTOMERS, SERVICES, PROVIDERS, tz="Europe/Lisbon")
    by_objects = appointments_to_interactions(as_objects, CUSTOMERS, SERVICES, PROVIDERS, tz="Europe/Lisbon")
    mapper = AppointmentMapper(CUSTOMERS, SERVICES, PROVIDERS, tz="Europe/Lisbon")
    by_columns = mapper.map(pd.DataFrame(appointment_columns(records)))
    pd.testing.assert_frame_equal(by_dicts, by_objects)
    pd.testing.assert_frame_equal(by_dicts, by_columns)
    # 01:30 does not exist in Lisbon that night: read with the offset before the gap (zoneinfo)
    assert by_dicts["occurred_at"].iloc[1] == pd.Timestamp("2026-03-29 01:30:00", tz="UTC")


def test_empty_input_gives_an_empty_typed_frame() -> None:
    frame = appointments_to_interactions([], CUSTOMERS, SERVICES, PROVIDERS, tz="UTC")
    assert frame.empty and list(frame.columns) == INTERACTION_COLUMNS


def test_vectorised_on_twenty_thousand_rows() -> None:

    records = [
        appointment(
            i,
            ("Booked", "Cancelled", "No-show", "Draft")[i % 4],
            customerId=10 + i % 2,
            start=f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00",
        )
        for i in range(20_000)
    ]
    frame = appointments_to_interactions(records, CUSTOMERS, SERVICES, PROVIDERS, tz="Europe/Lisbon")
    assert len(frame) == 15_000 and frame.attrs[DROPPED_ATTR] == 5_000


def test_mark_vanished_only_inside_the_window() -> None:
    before = appointments_to_interactions(
        [
            appointment(1, "Booked"),
            appointment(2, "Booked"),
            appointment(3, "Booked", start="2026-09-01 10:00:00"),
            appointment(4, "Cancelled"),
        ],
        CUSTOMERS,
        SERVICES,
        PROVIDERS,
        tz="UTC",
    )
    after = before.loc[before["source_id"] == "2"]
    gone = mark_vanished(before, after, date_from=date(2026, 6, 1), date_to=date(2026, 7, 31))
    assert gone["source_id"].tolist() == ["1", "4"]
    assert set(gone["status"]) == {"deleted"}
    again = mark_vanished(gone, after, date_from=date(2026, 6, 1), date_to=date(2026, 7, 31))
    assert again.empty  # already deleted rows are not reported twice
