import pandas as pd
import pytest
from pydantic import ValidationError

from audience.people import resolve_people
from audience.segments import SEGMENT_COLUMNS, SegmentThresholds, segment_people
from tests.audience.helpers import AS_OF, days_ago, interactions, people

DEFAULTS = SegmentThresholds()


def _segment(*rows: dict[str, object], thresholds: SegmentThresholds = DEFAULTS) -> pd.DataFrame:
    return segment_people(people(*rows), AS_OF, thresholds)


@pytest.mark.parametrize(
    ("counted", "expected"),
    [
        (0, None),
        (1, "new_customer"),
        (2, "returning_customer"),
        (4, "returning_customer"),
        (5, "loyal_customer"),
        (40, "loyal_customer"),
    ],
)
def test_frequency_boundaries(counted: int, expected: str | None) -> None:
    out = _segment({"email": "a@x.io", "counted_bookings": counted, "last_counted_at": days_ago(1)})
    value = out.loc[0, "frequency_segment"]
    assert (pd.isna(value) and expected is None) or value == expected


@pytest.mark.parametrize(
    ("last_days_ago", "upcoming", "expected"),
    [
        (0, 0, "recent_customer"),
        (30, 0, "recent_customer"),  # the recent edge is inclusive
        (30.001, 0, None),
        (60, 0, None),
        (90, 0, None),  # exactly 90 days ago is not yet inactive
        (90.001, 0, "inactive_customer"),
        (400, 0, "inactive_customer"),
        (400, 1, "recent_customer"),  # an upcoming booking makes anyone recent
        (None, 1, "recent_customer"),  # only an upcoming booking
    ],
)
def test_recency_boundaries(last_days_ago: float | None, upcoming: int, expected: str | None) -> None:
    last = days_ago(last_days_ago) if last_days_ago is not None else pd.NaT
    out = _segment(
        {
            "email": "a@x.io",
            "counted_bookings": 1 + upcoming,
            "upcoming_bookings": upcoming,
            "last_counted_at": last,
        }
    )
    value = out.loc[0, "recency_segment"]
    assert (pd.isna(value) and expected is None) or value == expected


def test_no_recency_without_counted_bookings() -> None:
    out = _segment({"email": "a@x.io", "counted_bookings": 0, "cancelled": 3})
    assert pd.isna(out.loc[0, "recency_segment"])
    assert pd.isna(out.loc[0, "frequency_segment"])


def test_tags_and_reasons() -> None:
    out = _segment(
        {
            "email": "loyal@x.io",
            "counted_bookings": 5,
            "upcoming_bookings": 1,
            "last_counted_at": days_ago(12),
            "sources": "easyappointments,zoom",
        },
        {
            "email": "new@x.io",
            "counted_bookings": 1,
            "last_counted_at": days_ago(1),
            "sources": "easyappointments",
        },
        {
            "email": "today@x.io",
            "counted_bookings": 2,
            "last_counted_at": days_ago(0.25),
            "sources": "easyappointments",
        },
        {
            "email": "events@x.io",
            "events_attended": 2,
            "webinars_attended": 1,
            "tickets": 3,
            "tickets_active": 2,
            "last_event_date": pd.Timestamp("2026-10-03T19:00:00Z"),
            "sources": "eventbrite,poshvip,zoom",
        },
        {"email": "void@x.io", "tickets": 1, "all_tickets_void": True, "sources": "poshvip"},
        {"email": "cancels@x.io", "cancelled": 2, "no_shows": 1, "sources": "easyappointments"},
        {"email": "quiet@x.io", "sources": None},
    ).set_index("email")
    assert out.loc["loyal@x.io", "tags"] == (
        "loyal_customer,recent_customer,source_easyappointments,source_zoom"
    )
    assert out.loc["loyal@x.io", "segment_reason"] == "5 counted bookings; last 12 days ago; 1 upcoming"
    assert out.loc["new@x.io", "tags"] == "new_customer,recent_customer,source_easyappointments"
    assert out.loc["new@x.io", "segment_reason"] == "1 counted booking; last 1 day ago"
    assert out.loc["today@x.io", "segment_reason"] == "2 counted bookings; last today"
    assert out.loc["events@x.io", "tags"] == "source_eventbrite,source_poshvip,source_zoom"
    assert out.loc["events@x.io", "segment_reason"] == (
        "2 events attended; 1 webinar attended; last 2026-10-03"
    )
    assert out.loc["void@x.io", "segment_reason"] == "all tickets refunded or cancelled"
    assert out.loc["cancels@x.io", "segment_reason"] == "no counted bookings (2 cancelled, 1 no-show)"
    assert out.loc["quiet@x.io", "segment_reason"] == "no counted bookings"
    assert pd.isna(out.loc["quiet@x.io", "tags"])


def test_removal_candidates() -> None:
    out = _segment(
        {"email": "void@x.io", "tickets": 2, "all_tickets_void": True},
        {"email": "void-but-books@x.io", "tickets": 1, "all_tickets_void": True, "counted_bookings": 1},
        {"email": "void-but-webinar@x.io", "tickets": 1, "all_tickets_void": True, "webinars_attended": 1},
        {"email": "active@x.io", "tickets": 1, "tickets_active": 1},
    )
    assert out["removal_candidate"].tolist() == [True, False, False, False]


def test_custom_thresholds() -> None:
    thresholds = SegmentThresholds(returning_from=3, loyal_from=10, recent_days=7, inactive_days=14)
    out = _segment(
        {"email": "a@x.io", "counted_bookings": 2, "last_counted_at": days_ago(8)},
        {"email": "b@x.io", "counted_bookings": 9, "last_counted_at": days_ago(15)},
        {"email": "c@x.io", "counted_bookings": 10, "last_counted_at": days_ago(7)},
        thresholds=thresholds,
    )
    assert out["frequency_segment"].tolist() == ["new_customer", "returning_customer", "loyal_customer"]
    assert out["recency_segment"].tolist() == [pd.NA, "inactive_customer", "recent_customer"]


def test_threshold_validation() -> None:
    with pytest.raises(ValidationError):
        SegmentThresholds(returning_from=5, loyal_from=5)
    with pytest.raises(ValidationError):
        SegmentThresholds(recent_days=100, inactive_days=90)
    with pytest.raises(ValidationError):
        SegmentThresholds(returning_from=1)


def test_input_untouched_index_kept_and_columns_added() -> None:
    frame = people({"email": "a@x.io", "counted_bookings": 1}, {"email": "b@x.io"})
    frame.index = pd.Index([7, 3])
    before = frame.copy()
    out = segment_people(frame, AS_OF, DEFAULTS)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.index) == [7, 3]
    assert list(out.columns) == [*frame.columns, *SEGMENT_COLUMNS]
    assert out.loc[7, "frequency_segment"] == "new_customer"


def test_end_to_end_from_interactions() -> None:
    rows = [
        {
            "email_raw": "Ana@X.io",
            "source": "easyappointments",
            "kind": "booking",
            "status": "booked",
            "occurred_at": days_ago(d),
        }
        for d in (300, 200, 100, 50, 20)
    ] + [
        {
            "email_raw": "ana@x.io ",
            "source": "zoom",
            "kind": "attendance",
            "status": "attended",
            "event_id": "W",
            "occurred_at": days_ago(3),
        }
    ]
    out = segment_people(resolve_people(interactions(*rows), AS_OF), AS_OF, DEFAULTS)
    assert out.loc[0, "tags"] == "loyal_customer,recent_customer,source_easyappointments,source_zoom"
    assert out.loc[0, "segment_reason"] == "5 counted bookings; last 20 days ago; 1 webinar attended"
