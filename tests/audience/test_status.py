import pandas as pd
import pytest
from pydantic import ValidationError

from audience.status import StatusMapping, count_dropped, map_booking_status


def test_default_mapping() -> None:
    raw = pd.Series(
        [
            "Booked",
            "Confirmed",
            "Rescheduled",
            "CANCELLED",
            "Cancelled by client",
            "No show",
            "noshow",
            "No-Show",
            "no  show",
            "Draft",
            None,
            "",
            "  ",
        ],
        index=range(100, 113),
    )
    mapped = map_booking_status(raw)
    assert list(mapped.index) == list(range(100, 113))
    assert mapped.tolist() == [
        "booked",
        "booked",
        "booked",
        "cancelled",
        "cancelled",
        "no_show",
        "no_show",
        "no_show",
        "no_show",
        pd.NA,
        "booked",
        "booked",
        "booked",
    ]
    assert count_dropped(mapped) == 1


def test_cancel_wins_over_other_patterns() -> None:
    mapped = map_booking_status(pd.Series(["Draft cancelled", "no-show, then cancelled"]))
    assert mapped.tolist() == ["cancelled", "cancelled"]


def test_custom_mapping() -> None:
    mapping = StatusMapping(
        cancelled=("annul",), no_show=("absent",), dropped=("tentative", "hold"), default="booked"
    )
    raw = pd.Series(["Annulé", "Absent", "Tentative", "On hold", "Cancelled", "Draft"])
    assert map_booking_status(raw, mapping).tolist() == [
        "cancelled",
        "no_show",
        pd.NA,
        pd.NA,
        "booked",
        "booked",
    ]


def test_patterns_are_lower_cased_and_never_empty() -> None:
    assert StatusMapping(cancelled=("  CANCEL ",)).cancelled == ("cancel",)
    with pytest.raises(ValidationError):
        StatusMapping(dropped=("",))
    with pytest.raises(ValidationError):
        StatusMapping(unknown=("x",))  # type: ignore[call-arg]


def test_regex_characters_are_literal() -> None:
    mapping = StatusMapping(no_show=("n/a (absent)",))
    assert map_booking_status(pd.Series(["N/A (absent)", "n/a absent"]), mapping).tolist() == [
        "no_show",
        "booked",
    ]


def test_status_mapper_maps_one_text_as_the_series_mapping_does() -> None:
    import pandas as pd

    from audience.status import map_booking_status, status_mapper

    raw = ["Booked", "CANCELLED by admin", "No  show", "draft", "", None, "confirmed"]
    expected = map_booking_status(pd.Series(raw, dtype="object")).tolist()
    one = status_mapper()
    assert [one(r) for r in raw] == [None if v is pd.NA else v for v in expected]
