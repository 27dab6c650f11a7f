"""The sign-up queue end to end: flows under the Prefect test harness, invitations exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.flow_runs import aresume_flow_run
from sqlalchemy import Engine

from audience.identity import normalise_emails
from audience.schema import coerce_interactions
from connectors.brevo import BrevoClient, BrevoSettings
from flows.signup_queue import add_bookers_to_queue, review_signup_queue
from sandbox.brevo_twin import BrevoState
from sandbox.framework import RunningSandbox
from signups.invitations import TokenVerdict, hash_token
from store import signups as repo
from store.checkpoints import finish_checkpoint, start_checkpoint
from store.db import make_engine, session_scope
from store.interactions import upsert_interactions
from store.migrate import upgrade
from store.platform_users import seed_platform_users
from tasks.invitations import (
    InvitationSettings,
    PreparedInvitation,
    deliver_invitation,
    invite_approved,
    prepare_invitation,
)
from tasks.redemption import redeem_invitation

NOW_TS = pd.Timestamp("2026-01-15", tz="UTC")
SETTINGS = InvitationSettings(signup_url="https://app.example.org/signup?ref=invite", invitation_ttl_days=14)


@dataclass
class CrashingSender:
    """A process killed while the email request is in flight (nothing reaches Brevo)."""

    async def send_transactional_email(
        self, to: str | Sequence[str], subject: str | None = None, **_: Any
    ) -> Any:
        raise KeyboardInterrupt("process killed mid-send")


@pytest.fixture
def brevo(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[BrevoClient, BrevoState]]:
    """A Brevo client pointed at the sandbox twin, and the twin's state (emails it accepted)."""
    monkeypatch.setenv("BREVO_SENDER_EMAIL", "hello@engarde.example")
    monkeypatch.setenv("BREVO_PROCESS_POLL_INITIAL", "0.05")
    monkeypatch.setenv("BREVO_PROCESS_POLL_MAX", "0.2")
    state = sandbox.ctx.state.get("brevo")
    client = BrevoClient(BrevoSettings())
    yield client, sandbox.ctx.state["brevo"] if state is None else state


def sent_to(state: BrevoState) -> list[str]:
    return [t["email"] for e in state.emails_sent for t in e["to"]]


def tokens_for(state: BrevoState, email: str) -> list[str]:
    out = []
    for e in state.emails_sent:
        if any(t["email"] == email for t in e["to"]):
            link = (e.get("params") or {}).get("LINK") or next(
                w for w in (e.get("textContent") or "").split() if w.startswith("http")
            )
            out.append(parse_qs(urlsplit(link).query)["token"][0])
    return out


def booking(
    sid: str,
    email: str,
    day: int,
    *,
    status: str = "booked",
    service: str = "Sabre",
    phone: str | None = None,
) -> dict[str, Any]:
    return {
        "source": "easyappointments",
        "source_id": sid,
        "email_raw": email,
        "email": email,
        "first_name": email.split("@")[0].title(),
        "kind": "booking",
        "status": status,
        "occurred_at": datetime(2026, 1, day, 10, tzinfo=UTC),
        "service": service,
        "phone": phone,
    }


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'engarde.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PLATFORM_DATABASE_URL", raising=False)
    eng = make_engine(url)
    upgrade(eng)
    rows = [
        booking("1", "ana@x.org", 3, phone="+1 555 0100"),
        booking("2", "ana@x.org", 8, service="Epee"),
        booking("3", "bo@x.org", 4),
        booking("4", "cy@x.org", 5, status="cancelled"),
        booking("5", "dee@x.org", 6),  # also a platform user
        booking("6", "eve@x.org", 20),  # outside the first window
    ]
    with session_scope(eng) as s:
        upsert_interactions(s, coerce_interactions(pd.DataFrame(rows)))
        seed_platform_users(s, [{"email": "DEE@x.org", "first_name": "Dee"}])
        # As a complete audience-sync leaves it: the store holds January, so it is read from there.
        january = {
            "source": "easyappointments",
            "window_start": date(2026, 1, 1),
            "window_end": date(2026, 1, 31),
        }
        start_checkpoint(s, **january)
        finish_checkpoint(s, **january, complete=True)
    yield eng
    eng.dispose()


def statuses(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as s:
        return {e.email: e.status for e in repo.list_signups(s)}


async def test_add_bookers_queues_each_person_once_across_runs(engine: Engine) -> None:
    first = await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 10))
    assert (first.bookers, first.queued) == (3, 2)
    assert first.excluded == {"on_platform": 1, "queued": 0, "invited": 0}
    assert "queued: 2" in first.render() and "on platform 1" in first.render()
    with session_scope(engine) as s:
        ana = next(e for e in repo.list_signups(s) if e.email == "ana@x.org")
    assert (ana.total_bookings, ana.services_used, ana.phone) == (2, '["Epee", "Sabre"]', "+1 555 0100")

    second = await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 31))  # overlapping, wider window
    assert second.queued == 1 and second.excluded == {"on_platform": 1, "queued": 2, "invited": 0}
    assert statuses(engine) == {"ana@x.org": "pending", "bo@x.org": "pending", "eve@x.org": "pending"}


async def test_review_pauses_for_typed_input_and_applies_decisions(
    engine: Engine, brevo: tuple[BrevoClient, BrevoState]
) -> None:
    await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 31))
    run = asyncio.create_task(review_signup_queue(timeout_seconds=120, poll_interval_seconds=1))
    async with get_client() as client:
        paused = None
        for _ in range(120):
            await asyncio.sleep(0.5)
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter())
            paused = next((r for r in runs if r.name and r.state and r.state.is_paused()), None)
            if paused is not None or run.done():
                break
        assert paused is not None, "the flow never paused"
        keyset = paused.state.state_details.run_input_keyset
        schema = await client.read_flow_run_input(paused.id, keyset["schema"])
        assert "ana@x.org" in schema and "reviewer" in schema  # the form lists the pending people

        # The form is typed: a resume without a reviewer is refused and the run stays paused.
        with pytest.raises(RuntimeError):
            await aresume_flow_run(paused.id, run_input={"people": []})
        people = [
            {"email": "ana@x.org", "decision": "approve", "note": "regular fencer"},
            {"email": "bo@x.org", "decision": "reject"},
            {"email": "eve@x.org"},
        ]
        await aresume_flow_run(
            paused.id,
            run_input={"reviewer": "lee@engarde.example", "people": people, "note": "January review"},
        )
        summary = await asyncio.wait_for(run, 60)
        state = (
            await client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[paused.id])))
        )[0].state
    assert state is not None and state.is_completed()
    assert (summary.approved, summary.rejected, summary.left_pending) == (["ana@x.org"], ["bo@x.org"], 1)
    with session_scope(engine) as s:
        entries = {e.email: e for e in repo.list_signups(s)}
    assert (entries["ana@x.org"].decided_by, entries["ana@x.org"].decision_note) == (
        "lee@engarde.example",
        "regular fencer",
    )
    assert entries["bo@x.org"].decision_note == "January review"  # the form's note when none per person
    assert entries["bo@x.org"].decided_at is not None and entries["eve@x.org"].status == "pending"
    assert summary.invitations == {"sent": 1} and sent_to(brevo[1]) == ["ana@x.org"]
    # handed to audience-sync for the master list (a failure there is reported, never raised)
    assert summary.master_list["people"] == 1 and summary.master_list["status"] == "synced", (
        summary.master_list
    )
    assert entries["ana@x.org"].status == "invited"
    # on the master list with the sign-up status as an attribute
    assert brevo[1].contacts["ana@x.org"]["attributes"]["SIGNUP_STATUS"] in ("approved", "invited")


async def test_review_with_an_empty_queue_does_not_pause(engine: Engine) -> None:
    summary = await review_signup_queue(timeout_seconds=5, poll_interval_seconds=1)
    assert summary.shown == 0 and summary.reviewer is None and "empty" in summary.render()


def _approve(engine: Engine, *emails: str) -> None:
    cand = pd.DataFrame(
        [{"email": e, "first_name": e.split("@")[0].title(), "total_bookings": 1} for e in emails]
    )
    with session_scope(engine) as s:
        repo.enqueue_signups(s, cand)
        repo.decide_signups(s, emails=list(emails), decision="approved", decided_by="lee", note="ok")


async def test_approved_people_get_one_email_each_even_when_rerun(
    engine: Engine, brevo: tuple[BrevoClient, BrevoState]
) -> None:
    sender, twin = brevo
    _approve(engine, "ana@x.org", "bo@x.org")
    first = await invite_approved(sender, invited_by="lee", settings=SETTINGS)
    again = await invite_approved(sender, invited_by="lee", settings=SETTINGS)
    assert first.counts == {"sent": 2} and again.counts == {}  # invited entries are not approved any more
    assert sent_to(twin) == ["ana@x.org", "bo@x.org"]
    assert statuses(engine) == {"ana@x.org": "invited", "bo@x.org": "invited"}
    # a direct second delivery for the same person is refused too
    direct = await deliver_invitation(
        sender, email="ana@x.org", first_name=None, invited_by="lee", settings=SETTINGS
    )
    assert direct.status == "already_sent" and len(twin.emails_sent) == 2
    email = twin.emails_sent[0]
    assert "ref=invite" in email["textContent"] and email["subject"] == "Your invitation to En Garde"
    assert "idem:invitation-1" in email["tags"]
    token = tokens_for(twin, "ana@x.org")[0]
    with session_scope(engine) as s:
        inv = repo.live_invitation(s, "ana@x.org")
        assert inv is not None and inv.token_hash == hash_token(token)
        assert inv.message_id == email["messageId"]
        assert inv.expires_at - inv.created_at == timedelta(days=14)
        assert redeem_invitation(s, token=token).verdict is TokenVerdict.VALID
    with session_scope(engine) as s:
        assert redeem_invitation(s, token=token).verdict is TokenVerdict.USED


async def test_rerun_after_crash_between_stored_and_sent_sends_exactly_one_email(
    engine: Engine, brevo: tuple[BrevoClient, BrevoState]
) -> None:
    sender, twin = brevo
    _approve(engine, "ana@x.org")
    stored = prepare_invitation(email="ana@x.org", first_name="Ana", invited_by="lee", settings=SETTINGS)
    assert isinstance(stored, PreparedInvitation)  # stored and committed; then the process died
    await invite_approved(sender, invited_by="lee", settings=SETTINGS)
    await invite_approved(sender, invited_by="lee", settings=SETTINGS)
    assert sent_to(twin) == ["ana@x.org"]
    sent_token = tokens_for(twin, "ana@x.org")[0]
    with session_scope(engine) as s:
        invs = repo.invitations(s)
        assert len(invs) == 1 and invs[0].status == "sent"  # the same invitation, re-armed
        assert redeem_invitation(s, token=stored.token).verdict is TokenVerdict.UNKNOWN  # never sent
        assert redeem_invitation(s, token=sent_token).verdict is TokenVerdict.VALID


async def test_concurrent_invitation_passes_send_one_email_per_person(
    engine: Engine, brevo: tuple[BrevoClient, BrevoState]
) -> None:
    _, twin = brevo
    people = [f"p{n}@x.org" for n in range(8)]
    _approve(engine, *people)

    def one_pass() -> dict[str, int]:
        async def run() -> dict[str, int]:
            async with BrevoClient(BrevoSettings()) as client:
                return (await invite_approved(client, invited_by="lee", settings=SETTINGS)).counts

        return asyncio.run(run())

    a, b = await asyncio.gather(asyncio.to_thread(one_pass), asyncio.to_thread(one_pass))
    assert a.get("sent", 0) + b.get("sent", 0) == len(people)
    assert sorted(sent_to(twin)) == people  # nobody twice
    with session_scope(engine) as s:
        assert len(repo.invitations(s)) == len(people)


async def test_crash_during_the_send_is_never_resent(
    engine: Engine, brevo: tuple[BrevoClient, BrevoState]
) -> None:
    sender, twin = brevo
    _approve(engine, "ana@x.org")
    with pytest.raises(KeyboardInterrupt):
        await invite_approved(CrashingSender(), invited_by="lee", settings=SETTINGS)
    report = await invite_approved(sender, invited_by="lee", settings=SETTINGS)
    assert report.counts == {"unconfirmed": 1} and twin.emails_sent == []


async def test_provider_errors_are_recorded_and_template_is_used_when_configured(
    engine: Engine, brevo: tuple[BrevoClient, BrevoState], sandbox: RunningSandbox
) -> None:
    sender, twin = brevo
    _approve(engine, "ana@x.org", "bo@x.org")
    sandbox.ctx.faults.queue("brevo", "5xx", 1)  # the first send fails (a send is never retried after a 5xx)
    settings = SETTINGS.model_copy(update={"brevo_invitation_template_id": 7})
    report = await invite_approved(sender, invited_by="lee", settings=settings)
    assert report.counts == {"failed": 1, "sent": 1}
    assert sent_to(twin) == ["bo@x.org"]
    assert twin.emails_sent[0]["templateId"] == 7 and twin.emails_sent[0]["params"]["FIRSTNAME"] == "Bo"
    with session_scope(engine) as s:
        failed = repo.invitations(s, emails=["ana@x.org"])[0]
        assert failed.status == "failed" and "5" in (failed.error or "")
        assert "ana@x.org" not in repo.invited_emails(s)
    assert statuses(engine) == {"ana@x.org": "approved", "bo@x.org": "invited"}
    retry = await invite_approved(sender, invited_by="lee", settings=settings)  # a later pass
    assert retry.counts == {"sent": 1} and sent_to(twin) == ["bo@x.org", "ana@x.org"]


async def test_auto_invite_invites_at_once(engine: Engine, brevo: tuple[BrevoClient, BrevoState]) -> None:
    _, twin = brevo
    summary = await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 10), auto_invite=True)
    assert (summary.queued, summary.invitations) == (2, {"sent": 2})
    assert sorted(sent_to(twin)) == ["ana@x.org", "bo@x.org"]
    with session_scope(engine) as s:
        entries = {e.email: e for e in repo.list_signups(s)}
    assert {e: x.status for e, x in entries.items()} == {"ana@x.org": "invited", "bo@x.org": "invited"}
    assert entries["ana@x.org"].decided_by == "add-bookers-to-queue (auto_invite)"
    again = await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 10), auto_invite=True)
    assert again.queued == 0 and len(twin.emails_sent) == 2


async def test_platform_users_sync_reads_the_configured_source(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, text

    from audience.people import resolve_people
    from audience.segments import SegmentThresholds, segment_people
    from flows.platform_users_sync import platform_users_sync
    from store.platform_users import PlatformUsersSettings
    from tasks.platform_users import platform_interactions, read_platform_users

    summary = await platform_users_sync(dry_run=True)
    assert (summary.users, summary.source, summary.stored) == (1, "table platform_users", 0)
    assert summary.master_list["people"] == 1  # handed to audience-sync (a dry run there too)

    other = create_engine(f"sqlite:///{tmp_path / 'platform.db'}")
    with other.begin() as conn:
        conn.execute(text("create table accounts (login_email text, role text, joined text)"))
        conn.execute(
            text(
                "insert into accounts values ('Ana@X.org', 'member', '2025-03-01'), ('bo@x.org', 'admin', NULL)"
            )
        )
    other.dispose()
    monkeypatch.setenv("PLATFORM_DATABASE_URL", f"sqlite:///{tmp_path / 'platform.db'}")
    monkeypatch.setenv(
        "PLATFORM_USERS_QUERY", "select login_email as email, role, joined as created_at from accounts"
    )
    rows = platform_interactions(read_platform_users.fn(PlatformUsersSettings()))
    assert rows["email"].tolist() == ["ana@x.org", "bo@x.org"] and set(rows["source"]) == {"platform"}
    assert rows["source_id"].tolist() == ["user:ana@x.org", "user:bo@x.org"]
    people = segment_people(resolve_people(rows, NOW_TS), NOW_TS, SegmentThresholds())
    assert people["tags"].tolist() == ["platform_user", "platform_user"]  # how audience-sync tags them
    assert str(rows["occurred_at"].iloc[0].date()) == "2025-03-01" and rows["service"].tolist() == [
        "member",
        "admin",
    ]
    # a platform user from the configured platform database is no longer queued as a booker
    first = await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 10))
    assert first.excluded["on_platform"] == 2  # ana and bo; dee is not on this platform
    assert statuses(engine) == {"dee@x.org": "pending"}


async def test_auto_invite_without_brevo_fails_before_approving_anyone(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BREVO_API_KEY", raising=False)
    with pytest.raises(ValueError, match="api_key"):
        await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 10), auto_invite=True)
    assert statuses(engine) == {}


def test_review_form_decisions() -> None:
    from tasks.signup_review import PersonReview, SignupReview, review_form

    people = [PersonReview(email="a@x.org", decision="approve", note="  "), PersonReview(email="b@x.org")]
    each = SignupReview(reviewer=" lee ", people=people, note="batch")
    assert each.reviewer == "lee" and each.decisions() == {"a@x.org": ("approved", "batch")}
    everyone = SignupReview(reviewer="lee", people=people, apply_to_all="reject all")
    assert everyone.decisions() == {"a@x.org": ("rejected", None), "b@x.org": ("rejected", None)}
    with pytest.raises(ValueError):
        SignupReview(reviewer="   ", people=people)
    form = review_form(
        [{"email": "c@x.org", "first_name": "Cy", "total_bookings": 2, "services_used": '["Sabre"]'}]
    )
    prefilled = form(reviewer="kim")
    assert prefilled.people[0].services == "Sabre" and prefilled.people[0].decision == "leave pending"


async def test_add_bookers_on_a_fresh_database_reads_the_window_from_easyappointments(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PLATFORM_DATABASE_URL", raising=False)
    upgrade(make_engine(url))
    date_to = sandbox.ctx.world.anchor.date()
    date_from = date_to - timedelta(days=30)
    # The window's bookers, from the EasyAppointments twin's own world.
    customers = {int(str(c["id"])): str(c["email"]) for c in sandbox.ctx.world.customers}
    raw = [
        customers[int(str(a["customerId"]))]
        for a in sandbox.ctx.world.appointments
        if date_from < date.fromisoformat(str(a["start"])[:10]) < date_to and a["status"] == "Booked"
    ]
    expected = set(normalise_emails(pd.Series(raw, dtype="string")).dropna())
    assert expected

    first = await add_bookers_to_queue(date_from, date_to)

    assert first.bookers_from == "easyappointments" and first.note is None
    assert "read from EasyAppointments" in first.render()
    assert first.queued > 0 and expected <= set(statuses(make_engine(url)))
    second = await add_bookers_to_queue(date_from, date_to)
    assert second.queued == 0 and second.excluded["queued"] == first.queued


async def test_add_bookers_says_what_is_missing_when_nothing_can_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PLATFORM_DATABASE_URL", raising=False)
    monkeypatch.delenv("EASYAPPOINTMENTS_URL", raising=False)
    upgrade(make_engine(url))

    summary = await add_bookers_to_queue(date(2026, 1, 1), date(2026, 1, 31))

    assert summary.bookers == summary.queued == 0 and summary.note is not None
    assert "EASYAPPOINTMENTS_URL is not set" in summary.note and "engarde run audience-sync" in summary.note
    assert sum(line.startswith("note: ") for line in summary.render().splitlines()) == 1


async def test_platform_users_sync_takes_the_brevo_lists_lock(
    engine: Engine, brevo: tuple[BrevoClient, BrevoState]
) -> None:
    from flows.platform_users_sync import platform_users_sync
    from tasks.run_locks import BREVO_LISTS_LOCK, RunLocks, held_state

    _, twin = brevo
    async with RunLocks() as other:
        await other.take([BREVO_LISTS_LOCK])
        busy = await platform_users_sync(if_busy="skip")
    assert busy.stored == 1 and busy.master_list["status"] == "skipped"
    assert busy.master_list["reason"].startswith(
        "not run: the Brevo lists (master list and event lists) is held by"
    )
    assert "dee@x.org" not in twin.contacts  # nothing was pushed while another run held the lists
    assert held_state(BREVO_LISTS_LOCK) is None
    free = await platform_users_sync(if_busy="skip")
    assert free.master_list["status"] == "synced" and "dee@x.org" in twin.contacts
