"""Zoom connector against its twin, over loopback HTTP."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from connectors.http import AuthenticationError, ClientError, NotFoundError, RateLimitError, RetryPolicy
from connectors.zoom import (
    PLAN_BUDGETS,
    ZoomClient,
    ZoomS2SAuth,
    ZoomSettings,
    clear_token_cache,
    encode_uuid,
    zoom_limiter,
)
from sandbox import zoom_twin
from sandbox.framework import RunningSandbox, SandboxContext
from tests.connectors.conftest import FAST, module_sandbox, zoom_auth

sandbox = module_sandbox(seed=13)


def client(sandbox: RunningSandbox, auth: ZoomS2SAuth | None = None, **kw: object) -> ZoomClient:
    options: dict[str, object] = {"retry": FAST, **kw}
    return ZoomClient(auth or zoom_auth(sandbox), base_url=sandbox.env["ZOOM_API_URL"], **options)  # type: ignore[arg-type]


def state(sandbox: RunningSandbox) -> zoom_twin.ZoomState:
    return zoom_twin.state_of(sandbox.ctx)


def owners_meetings(sandbox: RunningSandbox) -> list[zoom_twin.Session]:
    """The meetings ``me`` (the account owner) hosts: what the one-user methods list."""
    return [s for s in state(sandbox).meetings if s.host_id == zoom_twin.HOST["id"]]


async def test_connection_and_wrong_secret(sandbox: RunningSandbox) -> None:
    clear_token_cache()
    async with client(sandbox) as zoom:
        found = await zoom.test_connection()
    assert zoom_twin.HOST["id"] in {h.id for h in found.hosts}
    clear_token_cache()
    auth = zoom_auth(sandbox, secret="wrong-secret-value")
    async with client(sandbox, auth=auth) as zoom:
        with pytest.raises(AuthenticationError) as caught:
            await zoom.test_connection()
    assert caught.value.status == 401
    assert "wrong-secret-value" not in str(caught.value) + repr(auth)


async def test_one_token_per_process(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    clear_token_cache()
    before = state(sandbox).tokens_issued
    async with client(sandbox) as first, client(sandbox) as second:
        await asyncio.gather(*(c.test_connection() for c in (first, second) for _ in range(5)))
    assert state(sandbox).tokens_issued == before + 1


async def test_token_refreshed_before_its_lifetime_ends(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    clear_token_cache()
    state(sandbox).token_lifetime = 1.0
    auth = zoom_auth(sandbox)
    async with client(sandbox, auth=auth) as zoom:
        await zoom.test_connection()
        await asyncio.sleep(1.05)
        await zoom.test_connection()
        assert zoom.stats.requests == 2
    assert auth.tokens_fetched == 2


async def test_expired_token_401_refreshes_once(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    clear_token_cache()
    state(sandbox).token_lifetime = 0.5
    frozen = [0.0]
    # A clock that never moves: the client believes its token valid; the twin says it expired.
    auth = zoom_auth(sandbox, clock=lambda: frozen[0], refresh_margin=0.0)
    async with client(sandbox, auth=auth) as zoom:
        await zoom.test_connection()
        await asyncio.sleep(0.6)
        user = await zoom.get_user("me")
        assert zoom.stats.retries == 0  # the refresh happened inside the auth flow
    assert user.id == zoom_twin.HOST["id"]
    assert auth.tokens_fetched == 2
    state(sandbox).token_lifetime = 3600.0
    clear_token_cache()
    async with client(sandbox, auth=auth) as zoom:
        await zoom.test_connection()
    assert auth.tokens_fetched == 3
    ctx.faults.queue("zoom", "expired_token", 1)
    async with client(sandbox, auth=auth) as zoom:
        await zoom.test_connection()
    assert auth.tokens_fetched == 4


async def test_create_and_list_meetings_and_webinars(sandbox: RunningSandbox) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    async with client(sandbox) as zoom:
        meeting = await zoom.create_meeting(topic="Saturday drills", start_time=start, duration_minutes=45)
        webinar = await zoom.create_webinar(topic="Open day", start_time=start)
        scheduled = await zoom.list_meetings("scheduled")
        upcoming = await zoom.list_meetings("upcoming")
        previous = await zoom.list_meetings("previous")
        live = await zoom.list_meetings("live")
        webinars = await zoom.list_webinars()
    assert meeting.start_time == start and meeting.type == 2 and webinar.type == 5
    assert meeting.id in {m.id for m in scheduled} and meeting.id in {m.id for m in upcoming}
    assert webinar.id in {w.id for w in webinars}
    assert live == []
    assert {m.id for m in previous} == {s.id for s in owners_meetings(sandbox) if s.occurrences}
    assert len(scheduled) == len(owners_meetings(sandbox))


async def test_pages_use_the_same_page_size(sandbox: RunningSandbox) -> None:
    async with client(sandbox, page_size=5) as zoom:
        meetings = await zoom.list_meetings("scheduled")
        path = "/users/me/meetings"
        assert zoom.stats.by_path[path] == math.ceil(len(meetings) / 5)
    assert len({m.id for m in meetings}) == len(owners_meetings(sandbox))
    api, token = sandbox.env["ZOOM_API_URL"], await _token(sandbox)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        first = (await http.get(f"{api}/users/me/meetings", params={"page_size": 5})).json()
        wrong = await http.get(
            f"{api}/users/me/meetings", params={"page_size": 6, "next_page_token": first["next_page_token"]}
        )
    assert wrong.status_code == 400 and wrong.json()["code"] == 300


async def _token(sandbox: RunningSandbox) -> str:
    env = sandbox.env
    async with httpx.AsyncClient() as http:
        reply = await http.post(
            env["ZOOM_OAUTH_URL"],
            params={"grant_type": "account_credentials", "account_id": env["ZOOM_ACCOUNT_ID"]},
            auth=(env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"]),
        )
    return str(reply.json()["access_token"])


async def test_expired_page_token_restarts_the_crawl_once(
    sandbox: RunningSandbox, ctx: SandboxContext
) -> None:
    state(sandbox).expire_page_tokens = 1
    async with client(sandbox, page_size=4) as zoom:
        meetings = await zoom.list_meetings("scheduled")
    assert len(meetings) == len({m.id for m in meetings}) == len(owners_meetings(sandbox))
    state(sandbox).page_token_ttl = -1.0  # every token is already expired: no silent truncation
    async with client(sandbox, page_size=4) as zoom:
        with pytest.raises(ClientError) as caught:
            await zoom.list_meetings("scheduled")
    assert caught.value.code == "300"


async def test_quirky_uuids_are_double_encoded(sandbox: RunningSandbox) -> None:
    quirky = [u for u in state(sandbox).by_uuid if u.startswith("/") or "//" in u]
    assert quirky, "the twin should hold UUIDs that need double encoding"
    uuid = quirky[0]
    session, occurrence = state(sandbox).by_uuid[uuid]
    assert encode_uuid(uuid).count("%25") >= 2
    async with client(sandbox) as zoom:
        if session.report_missing:
            zoom.reports = False
        kind = zoom.iter_meeting_participants if session.kind == "meeting" else zoom.iter_webinar_participants
        rows = [r async for r in kind(uuid)]
        assert len(rows) == len(occurrence.participants)
        with pytest.raises(NotFoundError):  # encoded once only: Zoom cannot find it
            await zoom._http["medium"].get_json(f"/past_{session.kind}s/{quote(uuid, safe='')}/participants")


async def test_webinar_participants_fold_and_join_registrants(sandbox: RunningSandbox) -> None:
    webinar = next(w for w in state(sandbox).webinars if w.occurrences and w.occurrences[0].participants)
    occurrence = webinar.occurrences[0]
    async with client(sandbox) as zoom:
        rows = [r async for r in zoom.iter_webinar_participants(occurrence.uuid)]
        registrants = {r.id: r async for r in zoom.iter_webinar_registrants(webinar.id)}
    assert len(rows) == len(occurrence.participants)
    assert len(registrants) == len(webinar.registrants)
    assert {r.status for r in registrants.values()} <= {"approved", "pending", "denied"}
    from connectors.zoom import fold_participants

    folded = fold_participants(
        rows,
        kind="webinar",
        meeting_id=webinar.id,
        occurrence_uuid=occurrence.uuid,
        topic=webinar.topic,
        occurrence_start=occurrence.start,
        registrants=registrants,
    )
    people = {r["registrant_id"] or r["user_id"] for r in occurrence.participants}
    assert len(folded.attendances) + folded.without_email == len(people)
    assert folded.by_email + folded.by_registrant + folded.by_name == len(folded.attendances)
    assert all(a.email and a.email.strip() for a in folded.attendances)
    total = sum(r["duration"] for r in occurrence.participants)
    assert sum(a.duration_seconds for a in folded.attendances) == total
    assert sum(a.sessions for a in folded.attendances) == len(occurrence.participants)


async def test_registrants_default_is_approved_only(sandbox: RunningSandbox) -> None:
    webinar = next(
        w for w in state(sandbox).webinars if any(r["status"] != "approved" for r in w.registrants)
    )
    api, token = sandbox.env["ZOOM_API_URL"], await _token(sandbox)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        default = (
            await http.get(f"{api}/webinars/{webinar.id}/registrants", params={"page_size": 300})
        ).json()
    assert all(r["status"] == "approved" for r in default["registrants"])
    async with client(sandbox, page_size=7) as zoom:
        every = [r async for r in zoom.iter_webinar_registrants(webinar.id)]
    assert len(every) == len(webinar.registrants) > len(default["registrants"])


async def test_free_plan_falls_back_to_past_meetings(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    state(sandbox).plan = "free"
    session = next(s for s in state(sandbox).meetings if s.occurrences and s.occurrences[-1].participants)
    async with client(sandbox) as zoom:
        rows = [r async for r in zoom.iter_meeting_participants(session.occurrences[-1].uuid)]
        assert zoom.reports is False
        assert any(p.startswith("/past_meetings/") for p in zoom.stats.by_path)
    assert len(rows) == len(session.occurrences[-1].participants)
    assert all(r.registrant_id is None for r in rows)


async def test_meeting_analytics(sandbox: RunningSandbox) -> None:
    session = next(
        s
        for s in state(sandbox).meetings
        if s.occurrences and len(s.occurrences[-1].participants) > 3 and not s.report_missing
    )
    occurrence = session.occurrences[-1]
    async with client(sandbox) as zoom:
        figures = await zoom.get_meeting_analytics(occurrence.uuid)
    total = sum(r["duration"] for r in occurrence.participants) / 60
    assert figures.join_sessions == len(occurrence.participants)
    assert figures.total_minutes == pytest.approx(total, abs=0.01)
    assert 1 <= figures.peak_concurrency <= figures.unique_attendees <= figures.join_sessions
    assert figures.average_minutes == pytest.approx(total / figures.unique_attendees, abs=0.01)


async def test_recordings_list_get_delete(sandbox: RunningSandbox) -> None:
    today = datetime.now(UTC).date()
    async with client(sandbox, page_size=3) as zoom:
        recordings = await zoom.list_recordings(from_=today - timedelta(days=400), to=today)
        owned = [
            s for s in state(sandbox).meetings + state(sandbox).webinars if s.host_id == zoom_twin.HOST["id"]
        ]
        expected = sum(len(s.recordings) for s in owned)
        assert len(recordings) == expected > 0
        target = recordings[0]
        one = await zoom.get_meeting_recordings(target.uuid)
        assert one.uuid == target.uuid and len(one.recording_files) == 2
        await zoom.delete_recordings(target.uuid)
        with pytest.raises(NotFoundError) as caught:
            await zoom.get_meeting_recordings(target.uuid)
        assert caught.value.code == "3301"
        assert len(await zoom.list_recordings(from_=today - timedelta(days=400), to=today)) == expected - 1


async def test_rate_limits_qps_and_daily(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    ctx.faults.queue("zoom", "429", 2)
    async with client(sandbox) as zoom:
        await zoom.test_connection()
        assert zoom.stats.rate_limited == 2
    zoom_twin.exhaust_daily(ctx, "Heavy")
    session = next(s for s in state(sandbox).meetings if s.occurrences)
    impatient = RetryPolicy(base_delay=0.01, max_total_seconds=2.0)
    async with client(sandbox, retry=impatient) as zoom:
        with pytest.raises(RateLimitError) as caught:
            [r async for r in zoom.iter_meeting_participants(session.occurrences[-1].uuid)]
    assert caught.value.retry_after is not None and caught.value.retry_after > 0


def test_category_limiters_follow_the_plan() -> None:
    assert list(zoom_limiter("pro", "heavy").budgets) == PLAN_BUDGETS["pro"]["heavy"]
    assert zoom_limiter("pro", "medium") is zoom_limiter("pro", "medium")
    assert list(zoom_limiter("free", "light").budgets) == [(4, 1.0), (6_000, 86_400.0)]


async def test_extraction_skips_missing_reports_and_survives_faults(
    sandbox: RunningSandbox, ctx: SandboxContext
) -> None:
    clear_token_cache()
    today = datetime.now(UTC).date()
    window = {"date_from": today - timedelta(days=365), "date_to": today}
    async with client(sandbox) as zoom:
        clean = await zoom.extract_attendance(**window)
    meetings = state(sandbox).of_active_hosts(state(sandbox).meetings)
    missing = [s for s in meetings if s.report_missing and s.occurrences]
    assert len(clean.skipped) == sum(len(s.occurrences) for s in missing) > 0
    assert clean.attendances and clean.registrations and clean.without_email > 0
    keys = [(a.occurrence_uuid, a.email.strip().lower()) for a in clean.attendances if a.email]
    assert len(keys) == len(set(keys))  # one attendance per person per occurrence
    ctx.faults.rate = 0.2
    async with client(sandbox) as zoom:
        faulty = await zoom.extract_attendance(**window)
        assert zoom.stats.retries > 0
    assert faulty.model_dump() == clean.model_dump()
    assert any(k.startswith("zoom:expired_token") for k in ctx.faults.injected)


def test_settings_require_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="ZOOM_ACCOUNT_ID"):
        ZoomClient.from_settings(ZoomSettings())


async def test_from_settings_reads_the_environment(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sandbox.env.items():
        monkeypatch.setenv(name, value)
    async with ZoomClient.from_settings(retry=FAST) as zoom:
        assert (await zoom.get_user("me")).email == zoom_twin.HOST["email"]


def test_sync_clients_get_the_same_auth(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    clear_token_cache()
    auth = zoom_auth(sandbox)
    with httpx.Client(auth=auth, base_url=sandbox.env["ZOOM_API_URL"]) as http:
        assert http.get("/users/me").json()["id"] == zoom_twin.HOST["id"]
        ctx.faults.queue("zoom", "expired_token", 1)
        assert http.get("/users/me").status_code == 200
    assert auth.tokens_fetched == 2


def test_analytics_from_literal_rows() -> None:
    from connectors.zoom import Participant, analyze_participants

    t0 = datetime(2026, 3, 5, 18, tzinfo=UTC)

    def row(email: str, start: int, minutes: int) -> Participant:
        join = t0 + timedelta(minutes=start)
        return Participant(
            user_email=email,
            join_time=join,
            leave_time=join + timedelta(minutes=minutes),
            duration=minutes * 60,
        )

    rows = [row("a@x.org", 0, 30), row("A@x.org ", 40, 20), row("b@x.org", 10, 40), row("c@x.org", 30, 5)]
    figures = analyze_participants("m", rows)
    assert figures.unique_attendees == 3 and figures.join_sessions == 4
    assert figures.total_minutes == 95 and figures.average_minutes == pytest.approx(95 / 3, abs=0.01)
    assert figures.peak_concurrency == 2  # a leaves at 18:30 as c joins: never three at once
