import itertools
import json
import random

import pandas as pd
import pytest

from audience.sync_plan import (
    ACTIONS,
    PLAN_COLUMNS,
    chunk_by_bytes,
    import_rows,
    plan_brevo_sync,
    summarise_plan,
)


def _payloads(*rows: tuple[str, str, bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "email": [r[0] for r in rows],
            "attributes": [{"H": r[1]} for r in rows],
            "payload_hash": [r[1] for r in rows],
            "removal_candidate": [r[2] for r in rows],
        }
    )


def _pushed(*rows: tuple[str, str, bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {"email": [r[0] for r in rows], "payload_hash": [r[1] for r in rows], "on_list": [r[2] for r in rows]}
    )


def test_plan_actions() -> None:
    payloads = _payloads(
        ("new@x.io", "h1", False),
        ("changed@x.io", "h2", False),
        ("same@x.io", "h3", False),
        ("void-on-list@x.io", "h4", False),
        ("void-never-pushed@x.io", "h5", True),
        ("asked@x.io", "h6", False),
        ("off-list-same@x.io", "h7", False),
        ("off-list-changed@x.io", "h8", False),
    )
    payloads.loc[3, "removal_candidate"] = True
    pushed = _pushed(
        ("changed@x.io", "old", True),
        ("same@x.io", "h3", True),
        ("void-on-list@x.io", "h4", True),
        ("asked@x.io", "h6", True),
        ("off-list-same@x.io", "h7", False),
        ("off-list-changed@x.io", "old", False),
        ("gone@x.io", "h9", True),
        ("gone-kept@x.io", "h10", True),
        ("gone-off-list@x.io", "h11", False),
    )
    plan = plan_brevo_sync(payloads, pushed, removable={"asked@x.io", "gone@x.io", "gone-off-list@x.io"})
    assert list(plan.columns) == PLAN_COLUMNS
    assert dict(zip(plan["email"], plan["action"], strict=True)) == {
        "new@x.io": "create",
        "changed@x.io": "update",
        "same@x.io": "unchanged",
        "void-on-list@x.io": "remove",
        "void-never-pushed@x.io": "skip",
        "asked@x.io": "remove",
        "off-list-same@x.io": "unchanged",
        "off-list-changed@x.io": "update",
        "gone@x.io": "remove",
    }
    by_email = plan.set_index("email")
    assert by_email.loc["new@x.io", "attributes"] == {"H": "h1"}
    assert by_email.loc["asked@x.io", "attributes"] == {}
    assert by_email.loc["gone@x.io", "payload_hash"] == "h9"
    assert summarise_plan(plan) == {"create": 1, "update": 2, "unchanged": 2, "remove": 3, "skip": 1}
    assert [row["email"] for row in import_rows(plan)] == [
        "new@x.io",
        "changed@x.io",
        "off-list-changed@x.io",
    ]


def test_removable_may_be_a_series_and_payloads_need_no_flag() -> None:
    payloads = _payloads(("a@x.io", "h", False)).drop(columns="removal_candidate")
    plan = plan_brevo_sync(payloads, _pushed(("a@x.io", "h", True)), pd.Series(["a@x.io", None]))
    assert plan["action"].tolist() == ["remove"]


def test_empty_state_creates_everyone() -> None:
    payloads = _payloads(("a@x.io", "h", False), ("b@x.io", "i", False))
    empty = pd.DataFrame({"email": [], "payload_hash": [], "on_list": []})
    plan = plan_brevo_sync(payloads, empty, set())
    assert plan["action"].tolist() == ["create", "create"]
    assert summarise_plan(plan) == dict.fromkeys(ACTIONS, 0) | {"create": 2}


def test_duplicate_state_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        plan_brevo_sync(
            _payloads(("a@x.io", "h", False)), _pushed(("a@x.io", "h", True), ("a@x.io", "g", True)), []
        )


def _rows(n: int, seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "email": f"p{i}@example.org",
            "attributes": {
                "FIRSTNAME": "Zoë" * rng.randint(0, 30),
                "TOTAL_BOOKINGS": rng.randint(0, 50),
                "SEGMENT_REASON": "x" * rng.randint(0, 300),
            },
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("max_bytes", [700, 1_000, 5_000, 100_000])
def test_chunks_never_exceed_the_limit_and_keep_every_row(max_bytes: int) -> None:
    rows = _rows(400)
    chunks = chunk_by_bytes(rows, max_bytes=max_bytes)
    assert [row for chunk in chunks for row in chunk] == rows
    assert all(chunk for chunk in chunks)
    for chunk in chunks:
        assert len(json.dumps(chunk)) <= max_bytes
        assert len(json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()) <= max_bytes
    # Greedy: each chunk is full, i.e. the next row would not have fitted.
    for chunk, following in itertools.pairwise(chunks):
        assert len(json.dumps([*chunk, following[0]])) > max_bytes


def test_chunking_accepts_a_generator_and_the_default_limit() -> None:
    chunks = chunk_by_bytes(row for row in _rows(50))
    assert len(chunks) == 1 and len(chunks[0]) == 50
    assert chunk_by_bytes([]) == []


def test_a_row_too_big_for_any_chunk_is_an_error() -> None:
    with pytest.raises(ValueError, match="over max_bytes"):
        chunk_by_bytes([{"email": "a@x.io", "attributes": {"X": "y" * 500}}], max_bytes=100)
