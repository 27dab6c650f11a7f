import pandas as pd

from audience.people import (
    MAX_SERVICES_CHARS,
    PEOPLE_COLUMNS,
    count_unresolvable,
    person_keys,
    resolve_people,
)
from audience.schema import SOURCES
from tests.audience.helpers import AS_OF, days_ago, interactions


def _one(people: pd.DataFrame, email: str) -> pd.Series:
    rows = people.loc[people["email"] == email]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_same_person_three_spellings_across_sources() -> None:
    frame = interactions(
        {
            "source": "easyappointments",
            "email_raw": "Ana.Silva@Example.org",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(10),
            "created_at": days_ago(20),
            "service": "Foil",
        },
        {
            "source": "eventbrite",
            "email_raw": " ana.silva@example.ORG ",
            "kind": "ticket",
            "status": "attended",
            "occurred_at": days_ago(40),
            "event_id": "E1",
        },
        {
            "source": "zoom",
            "email_raw": "ANA.SILVA@EXAMPLE.ORG",
            "kind": "attendance",
            "status": "attended",
            "occurred_at": days_ago(5),
            "event_id": "W1",
        },
        {
            "source": "zoom",
            "email_raw": "bruno@example.org",
            "kind": "registration",
            "status": "registered",
            "occurred_at": days_ago(5),
            "event_id": "W1",
        },
    )
    people = resolve_people(frame, AS_OF)
    assert list(people.columns) == PEOPLE_COLUMNS
    assert sorted(people["email"]) == ["ana.silva@example.org", "bruno@example.org"]
    ana = _one(people, "ana.silva@example.org")
    assert (ana.n_easyappointments, ana.n_eventbrite, ana.n_zoom, ana.n_poshvip, ana.n_platform) == (
        1,
        1,
        1,
        0,
        0,
    )
    assert ana.n_interactions == 3
    assert ana.sources == "easyappointments,eventbrite,zoom"
    assert ana.counted_bookings == 1
    assert ana.events_attended == 1
    assert ana.webinars_attended == 1
    bruno = _one(people, "bruno@example.org")
    assert bruno.sources == "zoom"
    assert bruno.webinars_attended == 0  # registered is not attended


def test_normalised_email_column_is_trusted_and_raw_is_the_fallback() -> None:
    frame = interactions(
        {"email": "ana@example.org", "email_raw": "something else"},
        {"email": None, "email_raw": " ANA@example.org"},
        {"email": None, "email_raw": "broken"},
        {"email": None, "email_raw": None},
    )
    assert person_keys(frame).tolist() == ["ana@example.org", "ana@example.org", pd.NA, pd.NA]
    assert count_unresolvable(frame) == 2
    people = resolve_people(frame, AS_OF)
    assert people["email"].tolist() == ["ana@example.org"]
    assert people["n_interactions"].tolist() == [2]


def test_most_recent_non_blank_contact_details_win() -> None:
    frame = interactions(
        # Oldest booking, but the most recently *made* one is the ticket below.
        {
            "email": "a@x.io",
            "first_name": "Anna",
            "last_name": "Old",
            "phone": "+1 111",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(100),
            "created_at": days_ago(120),
        },
        {
            "email": "a@x.io",
            "first_name": " Ana ",
            "last_name": "",
            "phone": None,
            "kind": "ticket",
            "status": "attended",
            "occurred_at": days_ago(1),
            "created_at": days_ago(30),
        },
        # Happens later but was created earlier, and has a whitespace-only name.
        {
            "email": "a@x.io",
            "first_name": "   ",
            "last_name": "Silva",
            "phone": "+1 222",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(-10),
            "created_at": days_ago(60),
        },
        # No created_at: its occurred_at (the most recent of all) is its recency.
        {
            "email": "a@x.io",
            "first_name": None,
            "phone": "+1 333",
            "kind": "attendance",
            "source": "zoom",
            "occurred_at": days_ago(2),
        },
    )
    ana = _one(resolve_people(frame, AS_OF), "a@x.io")
    assert ana.first_name == "Ana"
    assert ana.last_name == "Silva"
    assert ana.phone == "+1 333"


def test_booking_counts_and_dates() -> None:
    frame = interactions(
        {
            "email": "a@x.io",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(200),
            "created_at": days_ago(210),
            "service": "Sabre",
        },
        {
            "email": "a@x.io",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(12),
            "created_at": days_ago(15),
            "service": "Foil",
        },
        {
            "email": "a@x.io",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(-3),
            "created_at": days_ago(1),
            "service": "Epee",
        },
        {
            "email": "a@x.io",
            "kind": "booking",
            "status": "cancelled",
            "occurred_at": days_ago(5),
            "service": "Kids",
        },
        {"email": "a@x.io", "kind": "booking", "status": "no_show", "occurred_at": days_ago(6)},
        {"email": "a@x.io", "kind": "booking", "status": "no_show", "occurred_at": days_ago(7)},
        {"email": "a@x.io", "kind": "booking", "status": "deleted", "occurred_at": days_ago(8)},
        {
            "email": "a@x.io",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(-30),
            "service": "Foil",
        },
    )
    a = _one(resolve_people(frame, AS_OF), "a@x.io")
    assert a.counted_bookings == 4
    assert a.upcoming_bookings == 2
    assert a.last_counted_at == days_ago(12)
    assert a.next_counted_at == days_ago(-3)
    assert a.cancelled == 1
    assert a.no_shows == 2
    assert a.services_used == "Epee,Foil,Sabre"  # distinct, sorted, counted bookings only
    assert a.first_seen == days_ago(210)
    assert a.last_seen == days_ago(1)  # the future appointments are not "seen" yet


def test_services_used_is_capped_at_whole_names() -> None:
    names = [f"{i:02d} " + "x" * 40 for i in range(10)]
    frame = interactions(
        *(
            {
                "email": "a@x.io",
                "kind": "booking",
                "status": "booked",
                "occurred_at": days_ago(i),
                "service": name,
            }
            for i, name in enumerate(names)
        )
    )
    services = _one(resolve_people(frame, AS_OF), "a@x.io").services_used
    assert len(services) <= MAX_SERVICES_CHARS
    kept = services.split(",")
    assert kept == names[: len(kept)]
    assert len(kept) == MAX_SERVICES_CHARS // 44  # 43 characters + a comma each


def test_tickets_events_and_void() -> None:
    frame = interactions(
        # b: two tickets for the same event count once; a refunded one not at all.
        {
            "email": "b@x.io",
            "source": "eventbrite",
            "kind": "ticket",
            "status": "attended",
            "event_id": "E1",
            "occurred_at": days_ago(30),
        },
        {
            "email": "b@x.io",
            "source": "eventbrite",
            "kind": "ticket",
            "status": "booked",
            "event_id": "E1",
            "occurred_at": days_ago(30),
        },
        {
            "email": "b@x.io",
            "source": "poshvip",
            "kind": "ticket",
            "status": "refunded",
            "event_id": "P9",
            "occurred_at": days_ago(3),
        },
        # The same id on another platform is another event.
        {
            "email": "b@x.io",
            "source": "poshvip",
            "kind": "ticket",
            "status": "attended",
            "event_id": "E1",
            "occurred_at": days_ago(-4),
        },
        {
            "email": "b@x.io",
            "source": "zoom",
            "kind": "attendance",
            "status": "attended",
            "event_id": "W1",
            "occurred_at": days_ago(50),
        },
        {
            "email": "b@x.io",
            "source": "zoom",
            "kind": "attendance",
            "status": "attended",
            "event_id": "W1",
            "occurred_at": days_ago(49),
        },
        # c: every ticket void.
        {"email": "c@x.io", "source": "poshvip", "kind": "ticket", "status": "refunded", "event_id": "P1"},
        {
            "email": "c@x.io",
            "source": "eventbrite",
            "kind": "ticket",
            "status": "cancelled",
            "event_id": "E2",
        },
        # d: no tickets at all.
        {"email": "d@x.io", "source": "easyappointments", "kind": "booking", "status": "booked"},
    )
    people = resolve_people(frame, AS_OF)
    b = _one(people, "b@x.io")
    assert (b.tickets, b.tickets_active, b.events_attended, b.webinars_attended) == (4, 3, 2, 1)
    assert b.last_event_date == days_ago(30)
    assert b.next_event_date == days_ago(-4)
    assert not b.all_tickets_void
    c = _one(people, "c@x.io")
    assert (c.tickets, c.tickets_active, c.events_attended) == (2, 0, 0)
    assert c.all_tickets_void
    d = _one(people, "d@x.io")
    assert not d.all_tickets_void


def test_events_without_an_id_are_told_apart_by_name() -> None:
    frame = interactions(
        {
            "email": "a@x.io",
            "source": "eventbrite",
            "kind": "ticket",
            "status": "attended",
            "service": "Open day",
        },
        {
            "email": "a@x.io",
            "source": "eventbrite",
            "kind": "ticket",
            "status": "attended",
            "service": "Open day",
        },
        {
            "email": "a@x.io",
            "source": "eventbrite",
            "kind": "ticket",
            "status": "attended",
            "service": "Gala",
        },
        {"email": "a@x.io", "source": "eventbrite", "kind": "ticket", "status": "attended"},
    )
    assert _one(resolve_people(frame, AS_OF), "a@x.io").events_attended == 2


def test_dtypes_and_empty_input() -> None:
    empty = resolve_people(interactions(), AS_OF)
    assert list(empty.columns) == PEOPLE_COLUMNS and len(empty) == 0
    frame = interactions({"email": "a@x.io", "source": "platform", "occurred_at": days_ago(1)})
    people = resolve_people(frame, AS_OF)
    assert str(people["first_seen"].dtype) == "datetime64[us, UTC]"
    assert str(people["email"].dtype) == "string"
    assert people.loc[0, "n_platform"] == 1
    assert all(people.loc[0, f"n_{s}"] == 0 for s in SOURCES if s != "platform")


def test_naive_as_of_is_utc() -> None:
    frame = interactions(
        {"email": "a@x.io", "kind": "booking", "status": "booked", "occurred_at": "2026-11-26T11:00:00Z"}
    )
    people = resolve_people(frame, pd.Timestamp("2026-11-26T10:30:00"))
    assert people.loc[0, "upcoming_bookings"] == 1


def test_whitespace_only_latest_value_falls_back_to_an_older_one() -> None:
    frame = interactions(
        {"email": "a@x.io", "first_name": "Ana", "created_at": days_ago(10)},
        {"email": "a@x.io", "first_name": " \t ", "created_at": days_ago(1)},
        {"email": "b@x.io", "first_name": "  ", "created_at": days_ago(1)},
        {"email": "c@x.io", "first_name": "Cy", "created_at": days_ago(1)},
    )
    people = resolve_people(frame, AS_OF).set_index("email")
    assert people.loc["a@x.io", "first_name"] == "Ana"
    assert pd.isna(people.loc["b@x.io", "first_name"])
    assert people.loc["c@x.io", "first_name"] == "Cy"


def test_accepts_categorical_and_object_columns() -> None:
    coerced = interactions(
        {
            "email": "a@x.io",
            "source": "easyappointments",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(3),
            "first_name": "Ana",
            "service": "Foil",
        },
        {
            "email": "a@x.io",
            "source": "zoom",
            "kind": "attendance",
            "status": "attended",
            "occurred_at": days_ago(2),
            "event_id": "W1",
        },
        {
            "email": "b@x.io",
            "source": "poshvip",
            "kind": "ticket",
            "status": "refunded",
            "occurred_at": days_ago(1),
            "event_id": "P1",
        },
    )
    loose = coerced.astype(object)
    for column in ("source", "kind", "status"):
        loose[column] = coerced[column].astype("category")
    for column in ("occurred_at", "created_at"):
        loose[column] = coerced[column].dt.tz_convert("Europe/Lisbon")
    expected = resolve_people(coerced, AS_OF)
    pd.testing.assert_frame_equal(resolve_people(loose, AS_OF), expected)


def test_index_labels_do_not_matter_and_missing_columns_are_na() -> None:
    frame = interactions(
        {"email_raw": "B@x.io", "kind": "booking", "status": "booked", "occurred_at": days_ago(1)},
        {"email": "a@x.io", "kind": "booking", "status": "booked", "occurred_at": days_ago(2)},
        {"email_raw": "b@x.io", "kind": "booking", "status": "cancelled", "occurred_at": days_ago(3)},
    )
    shuffled = frame.set_axis([30, 10, 20])
    pd.testing.assert_frame_equal(resolve_people(shuffled, AS_OF), resolve_people(frame, AS_OF))
    minimal = resolve_people(pd.DataFrame({"email": ["a@x.io", "a@x.io", None]}), AS_OF)
    assert minimal["email"].tolist() == ["a@x.io"]
    assert minimal.loc[0, "n_interactions"] == 2
    assert minimal.loc[0, "counted_bookings"] == 0
    assert pd.isna(minimal.loc[0, "sources"]) and pd.isna(minimal.loc[0, "first_seen"])
