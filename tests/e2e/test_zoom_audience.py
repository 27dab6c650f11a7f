"""Zoom as it really is, through audience-sync: every host, hidden guest emails, registrants as people."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.audience_sync import audience_sync
from sandbox import zoom_twin
from sandbox.framework import RunningSandbox
from store.db import make_engine, session_scope
from store.interactions import load_interactions

AS_OF = datetime.now(UTC).replace(second=0, microsecond=0)


def _normal(email: str) -> str:
    return email.strip().lower()


async def test_every_host_and_every_registrant_reach_brevo(world: RunningSandbox) -> None:
    twin = zoom_twin.state_of(world.ctx)
    brevo = world.ctx.state["brevo"]
    known_before = set(brevo.contacts)

    summary = await audience_sync(sources=["zoom"], as_of=AS_OF)

    zoom = summary.sources["zoom"]
    assert zoom.complete
    counts = zoom.counts
    assert counts["hosts"] == 3
    assert (
        counts["participants"]
        == counts["matched_by_email"] + counts["matched_by_registrant"] + counts["unmatched"]
    )
    assert counts["unmatched"] > 0 and counts["matched_by_registrant"] > 0
    assert any("not at all" in note for note in zoom.notes)
    contacts = set(brevo.contacts)

    # A second host's meeting and webinar attendees are contacts.
    owner = zoom_twin.HOST["id"]
    for sessions in (twin.meetings, twin.webinars):
        coach = [
            s
            for s in twin.of_active_hosts(sessions)
            if s.host_id != owner and s.occurrences and not s.report_missing
        ]
        seen = {
            _normal(r["user_email"])
            for s in coach
            for o in s.occurrences
            for r in o.participants
            if r["user_email"]
        }
        assert seen and seen <= contacts
    with session_scope(make_engine()) as session:
        stored = load_interactions(session)
    stored = stored[stored["source"] == "zoom"]
    # The deactivated user's sessions are not read (GET /users lists active users).
    active = {u["id"] for u in twin.users if u["status"] == "active"}
    gone = {str(s.id) for s in twin.meetings + twin.webinars if s.host_id not in active}
    assert gone and not gone & set(stored["event_id"])

    # A registrant who never joined is still a person in Brevo.
    absent = [
        r
        for s in twin.of_active_hosts(twin.meetings + twin.webinars)
        if s.occurrences
        for r in s.registrants
        if r["status"] == "approved"
        and r["id"] not in {p["registrant_id"] for o in s.occurrences for p in o.participants}
        and _normal(r["email"]) not in known_before
    ]
    assert absent
    assert {_normal(r["email"]) for r in absent} <= contacts

    # A registered guest whose row hides the email is joined through the registrant.
    hidden = [
        (s, r)
        for s in twin.of_active_hosts(twin.meetings + twin.webinars)
        if not s.report_missing
        for o in s.occurrences
        for r in o.participants
        if r["registrant_id"] and not r["user_email"]
    ]
    assert hidden
    attended = stored[stored["kind"] == "attendance"]
    for zoom_session, row in hidden:
        registrant = next(r for r in zoom_session.registrants if r["id"] == row["registrant_id"])
        mine = attended[attended["event_id"] == str(zoom_session.id)]
        assert _normal(registrant["email"]) in set(mine["email"])
        assert _normal(registrant["email"]) in contacts
