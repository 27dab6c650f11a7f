"""Every Zoom twin answer against Zoom's published response schemas (and tap-zoom's).

Each case fetches one real answer from the twin over loopback and checks it with
:func:`tests.sandbox.contracts.contract_errors`; the same check must reject that answer once
deliberately broken (a wrong type, a missing required field, an invented field), or it proves
nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from connectors.zoom import encode_uuid
from sandbox import zoom_twin
from sandbox.framework import RunningSandbox, new_context
from tests.sandbox.contracts import contract_errors, tap_zoom, zoom_operation

LIST_FIELDS = ("page_count", "page_size", "total_records", "next_page_token")
#: Registrant fields the spec declares as strings (the twin must send every one).
REGISTRANT_FIELDS = (
    "id", "email", "first_name", "last_name", "address", "city", "country", "zip", "state", "phone",
    "industry", "org", "job_title", "purchasing_time_frame", "role_in_purchase_process",
    "no_of_employees", "comments", "custom_questions", "status", "create_time", "join_url",
)  # fmt: skip
#: ``past_*/participants`` rows: fields Zoom sends that the 2023 spec extract omits (api-notes §3).
PAST_EXTRA = ("join_time", "leave_time", "duration", "failover", "status", "internal_user")


@dataclass
class Case:
    """One route: how to ask for it, which schema it keeps, what it must contain."""

    path: Callable[[zoom_twin.ZoomState], str]
    schema: str
    required: tuple[str, ...] = ()
    item_key: str | None = None
    item_schema: str | None = None
    item_required: tuple[str, ...] = ()
    known_omissions: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    method: str = "GET"
    body: dict[str, Any] | None = None
    #: How the broken variant breaks the answer.
    breaks: Callable[[dict[str, Any]], None] = lambda body: body.update(page_count="1")


def _held(state: zoom_twin.ZoomState, kind: str, **want: bool) -> zoom_twin.Session:
    sessions = state.meetings if kind == "meeting" else state.webinars
    return next(
        s
        for s in sessions
        if s.occurrences
        and s.occurrences[-1].participants
        and not s.report_missing
        and all(
            bool(getattr(s, k) if k != "registration" else s.approval_type != 2) == v for k, v in want.items()
        )
    )


def _uuid(session: zoom_twin.Session) -> str:
    return encode_uuid(session.occurrences[-1].uuid)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(key)


def _first_item(key: str, change: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda body: body[key][0].update(change)


START = (datetime.now(UTC) + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%SZ")
CASES: dict[str, Case] = {
    "users": Case(
        lambda s: "/users",
        "get_users",
        (*LIST_FIELDS, "page_number"),
        "users",
        breaks=_drop("total_records"),
    ),
    "user": Case(lambda s: "/users/me", "get_users_userId", breaks=lambda b: b.update(verified=True)),
    "meetings": Case(
        lambda s: f"/users/{_held(s, 'meeting').host_id}/meetings",
        "get_users_userId_meetings",
        (*LIST_FIELDS, "page_number"),
        "meetings",
        params={"type": "previous_meetings"},
        breaks=_drop("page_number"),
    ),
    "webinars": Case(
        lambda s: f"/users/{_held(s, 'webinar').host_id}/webinars",
        "get_users_userId_webinars",
        (*LIST_FIELDS, "page_number"),
        "webinars",
        breaks=_first_item("webinars", {"id": "not-a-number"}),
    ),
    "meeting": Case(
        lambda s: f"/meetings/{_held(s, 'meeting', recurring=False).id}",
        "get_meetings_meetingId",
        ("settings", "host_email", "start_url"),
        breaks=lambda b: b["settings"].update(approval_type=7),
    ),
    "recurring meeting": Case(
        lambda s: f"/meetings/{_held(s, 'meeting', recurring=True).id}",
        "get_meetings_meetingId",
        ("settings", "recurrence", "occurrences"),
        breaks=_drop("recurrence"),
    ),
    "webinar": Case(
        lambda s: f"/webinars/{_held(s, 'webinar').id}",
        "get_webinars_webinarId",
        ("settings",),
        breaks=lambda b: b.update(type=2),
    ),
    "meeting registrants": Case(
        lambda s: f"/meetings/{_held(s, 'meeting', registration=True).id}/registrants",
        "get_meetings_meetingId_registrants",
        (*LIST_FIELDS, "page_number"),
        "registrants",
        "webinar_registrants",
        REGISTRANT_FIELDS,
        breaks=_first_item("registrants", {"invented": "x"}),
    ),
    "webinar registrants": Case(
        lambda s: f"/webinars/{_held(s, 'webinar').id}/registrants",
        "get_webinars_webinarId_registrants",
        (*LIST_FIELDS, "page_number"),
        "registrants",
        "webinar_registrants",
        REGISTRANT_FIELDS,
        breaks=lambda b: b["registrants"][0].pop("org"),
    ),
    "meeting instances": Case(
        lambda s: f"/past_meetings/{_held(s, 'meeting').id}/instances",
        "get_past_meetings_meetingId_instances",
        ("meetings",),
        breaks=lambda b: b["meetings"].append({"uuid": 5}),
    ),
    "webinar instances": Case(
        lambda s: f"/past_webinars/{_held(s, 'webinar').id}/instances",
        "get_past_webinars_webinarId_instances",
        ("webinars",),
        breaks=lambda b: b["webinars"].append({"uuid": "x", "start_time": "yesterday"}),
    ),
    "past meeting participants": Case(
        lambda s: f"/past_meetings/{_uuid(_held(s, 'meeting'))}/participants",
        "get_past_meetings_meetingId_participants",
        LIST_FIELDS,
        "participants",
        known_omissions=PAST_EXTRA,
        breaks=_first_item("participants", {"registrant_id": "r1"}),
    ),
    "past webinar participants": Case(
        lambda s: f"/past_webinars/{_uuid(_held(s, 'webinar'))}/participants",
        "get_past_webinars_webinarId_participants",
        LIST_FIELDS,
        "participants",
        known_omissions=PAST_EXTRA,
        breaks=_first_item("participants", {"user_email": 42}),
    ),
    "meeting report": Case(
        lambda s: f"/report/meetings/{_uuid(_held(s, 'meeting'))}/participants",
        "get_report_meetings_meetingId_participants",
        LIST_FIELDS,
        "participants",
        "report_meeting_participants",
        ("id", "user_id", "name", "user_email", "join_time", "leave_time", "duration", "registrant_id"),
        params={"include_fields": "registrant_id"},
        breaks=_first_item("participants", {"internal_user": False}),
    ),
    "webinar report": Case(
        lambda s: f"/report/webinars/{_uuid(_held(s, 'webinar'))}/participants",
        "get_report_webinars_webinarId_participants",
        LIST_FIELDS,
        "participants",
        "report_webinar_participants",
        ("registrant_id",),
        params={"include_fields": "registrant_id"},
        breaks=_first_item("participants", {"status": "left"}),
    ),
    "recordings": Case(
        lambda s: f"/users/{next(x for x in s.meetings + s.webinars if x.recordings).host_id}/recordings",
        "get_users_userId_recordings",
        (*LIST_FIELDS, "from", "to"),
        "meetings",
        params={"from": "2000-01-01"},
        breaks=_drop("next_page_token"),
    ),
    "meeting recording": Case(
        lambda s: (
            f"/meetings/{encode_uuid(next(x for x in s.meetings + s.webinars if x.recordings).recordings[0]['uuid'])}/recordings"
        ),
        "get_meetings_meetingId_recordings",
        ("recording_files",),
        breaks=lambda b: b["recording_files"][0].update(file_size="big"),
    ),
    "create meeting": Case(
        lambda s: "/users/me/meetings",
        "post_users_userId_meetings",
        ("id", "settings", "start_url"),
        method="POST",
        body={"topic": "Contract check", "type": 2, "start_time": START, "duration": 30},
        breaks=lambda b: b.update(created_at="last week"),
    ),
    "create webinar": Case(
        lambda s: "/users/me/webinars",
        "post_users_userId_webinars",
        ("id", "settings"),
        method="POST",
        body={"topic": "Contract check", "type": 5, "start_time": START, "duration": 30},
        breaks=_drop("settings"),
    ),
}


@pytest.fixture(scope="module")
def answers() -> Iterator[dict[str, Any]]:
    """Every case's answer from a twin over loopback (one sandbox for the module)."""
    with RunningSandbox(new_context(scale=2_000, seed=21)) as sandbox:
        env = sandbox.env
        state = zoom_twin.state_of(sandbox.ctx)
        with httpx.Client() as http:
            token = http.post(
                env["ZOOM_OAUTH_URL"],
                params={"grant_type": "account_credentials", "account_id": env["ZOOM_ACCOUNT_ID"]},
                auth=(env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"]),
            ).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            out: dict[str, Any] = {}
            for name, case in CASES.items():
                reply = http.request(
                    case.method, env["ZOOM_API_URL"] + case.path(state), params=case.params, json=case.body
                )
                assert reply.status_code in (200, 201), (name, reply.status_code, reply.text)
                out[name] = reply.json()
            out["_errors"] = [
                http.get(env["ZOOM_API_URL"] + path)
                for path in ("/no/such/route", "/meetings/1234", f"/users/{quote('nobody@x.org')}")
            ]
        yield out


def _check(case: Case, body: Any) -> list[str]:
    return contract_errors(
        zoom_operation(case.schema),
        body,
        required=case.required,
        item_key=case.item_key,
        item_schema=tap_zoom(case.item_schema) if case.item_schema else None,
        item_required=case.item_required,
        known_omissions=case.known_omissions,
    )


@pytest.mark.parametrize("name", list(CASES))
def test_twin_answer_keeps_the_contract(answers: dict[str, Any], name: str) -> None:
    case = CASES[name]
    body = answers[name]
    if case.item_key:
        assert body[case.item_key], f"{name}: an empty list proves nothing"
    assert _check(case, body) == []


@pytest.mark.parametrize("name", list(CASES))
def test_contract_rejects_a_broken_answer(answers: dict[str, Any], name: str) -> None:
    case = CASES[name]
    broken = copy.deepcopy(answers[name])
    case.breaks(broken)
    assert _check(case, broken), f"{name}: the broken answer passed the contract"


def test_errors_are_zoom_json(answers: dict[str, Any]) -> None:
    schema = zoom_operation("error")
    statuses = []
    for reply in answers["_errors"]:
        assert reply.headers["content-type"].startswith("application/json")
        assert contract_errors(schema, reply.json()) == []
        statuses.append((reply.status_code, reply.json()["code"]))
    assert statuses == [(404, 404), (404, 3001), (404, 1001)]
    assert contract_errors(schema, {"code": "404", "message": "Not Found"})  # a broken error body fails
