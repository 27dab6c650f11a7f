"""Every host of the account, meeting registrants, and joining participants to registrants."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.http import NotFoundError
from connectors.registry import CheckStatus, check_integration, get_integration
from connectors.zoom import Participant, Registrant, ZoomClient, fold_participants
from sandbox import zoom_twin
from sandbox.framework import RunningSandbox
from tests.connectors.conftest import FAST, module_sandbox, zoom_auth

T0 = datetime(2026, 3, 5, 18, tzinfo=UTC)


sandbox = module_sandbox(seed=13)


def client(sandbox: RunningSandbox, **kw: object) -> ZoomClient:
    return ZoomClient(zoom_auth(sandbox), base_url=sandbox.env["ZOOM_API_URL"], retry=FAST, **kw)  # type: ignore[arg-type]


def state(sandbox: RunningSandbox) -> zoom_twin.ZoomState:
    return zoom_twin.state_of(sandbox.ctx)


async def test_hosts_every_active_user_me_or_a_list(sandbox: RunningSandbox) -> None:
    users = state(sandbox).users
    active = {u["id"] for u in users if u["status"] == "active"}
    coach = next(u for u in users if u["status"] == "active" and u["id"] != zoom_twin.HOST["id"])
    async with client(sandbox, page_size=2) as zoom:  # two pages of users
        assert {u.id for u in await zoom.hosts()} == active
        assert zoom.stats.by_path["/users"] == 2
    async with client(sandbox, users=["me"]) as zoom:
        assert [u.id for u in await zoom.hosts()] == [zoom_twin.HOST["id"]]
    async with client(sandbox, users=[coach["email"].upper(), coach["id"]]) as zoom:
        assert [u.id for u in await zoom.hosts()] == [coach["id"]]  # one host, however often named
    async with client(sandbox, users=["nobody@engarde.example"]) as zoom:
        with pytest.raises(NotFoundError, match=re.escape("ZOOM_USERS lists 'nobody@engarde.example'")):
            await zoom.hosts()


async def test_engarde_check_says_how_many_hosts(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ZOOM_USERS", raising=False)
    result = await check_integration(get_integration("zoom"))
    assert result.status is CheckStatus.OK
    assert result.detail == "connection works; 3 active host(s) in the account"
    monkeypatch.setenv("ZOOM_USERS", "nobody@engarde.example")
    failing = await check_integration(get_integration("zoom"))
    assert failing.status is CheckStatus.FAILING and "nobody@engarde.example" in failing.detail


async def test_a_listed_meeting_answers_200(sandbox: RunningSandbox) -> None:
    coach = next(s for s in state(sandbox).meetings if s.host_id != zoom_twin.HOST["id"] and s.occurrences)
    async with client(sandbox) as zoom:
        listed = await zoom.list_meetings("previous_meetings", user_id=coach.host_id)
        assert coach.id in {m.id for m in listed}
        for meeting in listed:
            detail = await zoom.get_meeting(meeting.id)
            assert detail.id == meeting.id and detail.settings is not None
        webinar = next(w for w in state(sandbox).webinars if w.occurrences)
        assert (await zoom.get_meeting(webinar.id, webinar=True)).requires_registration
        with pytest.raises(NotFoundError):  # a webinar id is not a meeting
            await zoom.get_meeting(webinar.id)


async def test_meeting_registrants_only_where_registration_is_required(sandbox: RunningSandbox) -> None:
    with_registration = next(s for s in state(sandbox).meetings if s.approval_type != 2 and s.registrants)
    without = next(s for s in state(sandbox).meetings if s.approval_type == 2)
    async with client(sandbox, page_size=7) as zoom:
        assert (await zoom.get_meeting(with_registration.id)).requires_registration
        assert not (await zoom.get_meeting(without.id)).requires_registration
        found = [r async for r in zoom.iter_meeting_registrants(with_registration.id)]
    assert {r.id for r in found} == {r["id"] for r in with_registration.registrants}
    assert all(r.email for r in found)


async def test_guests_hidden_registered_guests_joined(sandbox: RunningSandbox) -> None:
    """Zoom's display rule in the twin, and what the connector recovers from it."""
    twin = state(sandbox)
    guest_meeting = next(
        s
        for s in twin.of_active_hosts(twin.meetings)
        if s.approval_type == 2
        and not s.report_missing
        and any(not r["user_email"] for o in s.occurrences for r in o.participants)
    )
    occurrence = next(
        o for o in guest_meeting.occurrences if any(not r["user_email"] for r in o.participants)
    )
    guests = {r["user_id"] for r in occurrence.participants if not r["user_email"]}
    assert all(not r["registrant_id"] for r in occurrence.participants)  # nobody registered
    async with client(sandbox) as zoom:
        rows = await zoom.list_participants(occurrence.uuid)
    folded = fold_participants(
        rows,
        kind="meeting",
        meeting_id=guest_meeting.id,
        occurrence_uuid=occurrence.uuid,
        topic=guest_meeting.topic,
        occurrence_start=occurrence.start,
    )
    # Every guest is read (no email), counted as unmatched, and left out of the attendances.
    assert {r.user_id for r in rows if not r.user_email} == guests
    assert folded.without_email == len(guests) and folded.by_registrant == folded.by_name == 0
    assert all(a.email for a in folded.attendances)

    hidden = [
        (s, o, r)
        for s in twin.of_active_hosts(twin.webinars + twin.meetings)
        for o in s.occurrences
        for r in o.participants
        if r["registrant_id"] and not r["user_email"] and not s.report_missing
    ]
    session, occurrence, row = hidden[0]
    registrant = next(r for r in session.registrants if r["id"] == row["registrant_id"])
    async with client(sandbox) as zoom:
        rows = await zoom.list_participants(occurrence.uuid, webinar=session.kind == "webinar")
        if session.kind == "webinar":
            registrants = {r.id: r async for r in zoom.iter_webinar_registrants(session.id)}
        else:
            registrants = {r.id: r async for r in zoom.iter_meeting_registrants(session.id)}
    kind = "webinar" if session.kind == "webinar" else "meeting"
    folded = fold_participants(
        rows,
        kind=kind,
        meeting_id=session.id,
        occurrence_uuid=occurrence.uuid,
        topic=session.topic,
        occurrence_start=occurrence.start,
        registrants=registrants,
    )
    joined = next(a for a in folded.attendances if a.registrant_id == row["registrant_id"])
    assert joined.email.strip().lower() == registrant["email"].strip().lower()
    assert folded.by_registrant >= 1


def _row(name: str, email: str = "", registrant_id: str = "", minute: int = 0) -> Participant:
    return Participant(
        id="", user_id=name, name=name, user_email=email, registrant_id=registrant_id,
        join_time=T0 + timedelta(minutes=minute), leave_time=T0 + timedelta(minutes=minute + 30), duration=1800,
    )  # fmt: skip


def _reg(rid: str, first: str, last: str, email: str) -> Registrant:
    return Registrant(id=rid, first_name=first, last_name=last, email=email, status="approved")


def test_name_rule_joins_only_a_unique_unclaimed_registrant() -> None:
    registrants = {
        r.id: r
        for r in (
            _reg("r1", "Inês", "Silva", "ines@x.org"),
            _reg("r2", "Ana", "Costa", "ana1@x.org"),
            _reg("r3", "Ana", "Costa", "ana2@x.org"),  # two Ana Costa: never guessed
            _reg("r4", "Omar", "Haddad", "omar@x.org"),
            _reg("r5", "Zoe", "Berg", "zoe@x.org"),
        )
    }
    rows = [
        _row("ines  SILVA"),  # accents, case and spaces aside: Inês Silva -> joined by name
        _row("Ana Costa"),  # ambiguous -> unmatched
        _row("Omar Haddad", email="omar@x.org"),  # own email
        _row("Omar Haddad", minute=40),  # same name, but Omar is already here: a different guest
        _row("Zoe's iPhone"),  # a device name: unmatched
        _row("Bilal Ahmed", registrant_id="r9"),  # unknown registrant id, no name match: unmatched
    ]
    folded = fold_participants(
        rows,
        kind="webinar",
        meeting_id=1,
        occurrence_uuid="u",
        topic="t",
        occurrence_start=T0,
        registrants=registrants,
    )
    assert {a.email: a.registrant_id for a in folded.attendances} == {"ines@x.org": "r1", "omar@x.org": None}
    assert (folded.by_email, folded.by_registrant, folded.by_name, folded.without_email) == (1, 0, 1, 4)
    # Two nameless guests claiming one registrant: neither is joined.
    twice = fold_participants(
        [_row("Zoe Berg"), _row("zoe berg ", minute=50)],
        kind="webinar", meeting_id=1, occurrence_uuid="u", topic="t", occurrence_start=T0, registrants=registrants,
    )  # fmt: skip
    assert twice.by_name == 0 and twice.without_email == 2


async def test_raw_routes_answer_through_the_mount(sandbox: RunningSandbox) -> None:
    """``GET /meetings/{id}`` no longer confuses meetings and webinars behind the sandbox prefix."""
    env = sandbox.env
    async with httpx.AsyncClient() as http:
        token = (
            await http.post(
                env["ZOOM_OAUTH_URL"],
                params={"grant_type": "account_credentials", "account_id": env["ZOOM_ACCOUNT_ID"]},
                auth=(env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"]),
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        meeting = state(sandbox).meetings[0]
        webinar = state(sandbox).webinars[0]
        got = await http.get(f"{env['ZOOM_API_URL']}/meetings/{meeting.id}", headers=headers)
        wrong = await http.get(f"{env['ZOOM_API_URL']}/meetings/{webinar.id}", headers=headers)
    assert got.status_code == 200 and got.json()["id"] == meeting.id and got.json()["type"] in (2, 8)
    assert wrong.status_code == 404 and wrong.json()["code"] == 3001
