import pandas as pd
import pytest

from audience.sync_plan import (
    ACTIONS,
    PLAN_COLUMNS,
    clears_values,
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


def test_rows_that_clear_a_value_are_apart() -> None:
    payloads = _payloads(("keeps@x.io", "a", False), ("clears@x.io", "", False), ("same@x.io", "", False))
    plan = plan_brevo_sync(payloads, _pushed(("same@x.io", "", True)), [])
    assert [r["email"] for r in import_rows(plan, clearing=False)] == ["keeps@x.io"]
    assert [r["email"] for r in import_rows(plan, clearing=True)] == ["clears@x.io"]
    assert [r["email"] for r in import_rows(plan)] == ["keeps@x.io", "clears@x.io"]
    assert clears_values({"A": 1, "B": ""}) and not clears_values({"A": 0, "B": None})
