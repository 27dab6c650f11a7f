"""Queue, invitation and platform-user repositories (SQLite file, and PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, text

from signups.candidates import CANDIDATE_DTYPES
from signups.invitations import TokenVerdict, hash_token, new_token
from store import signups as repo
from store.connections import get_connection, save_connection
from store.db import session_scope
from store.platform_users import read_platform_users, seed_platform_users
from tasks.redemption import redeem_invitation

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


def candidates(*emails: str) -> pd.DataFrame:
    rows = [
        {"email": e, "first_name": e[:2], "total_bookings": 2, "services_used": '["Sabre"]'} for e in emails
    ]
    return pd.DataFrame(rows).reindex(columns=list(CANDIDATE_DTYPES)).astype(CANDIDATE_DTYPES)


def test_enqueue_is_once_per_email_ever(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert repo.enqueue_signups(s, candidates("a@x.org", "b@x.org"), now=NOW) == ["a@x.org", "b@x.org"]
    with session_scope(engine) as s:
        repo.decide_signups(s, emails=["b@x.org"], decision="rejected", decided_by="admin", note="spam")
    with session_scope(engine) as s:
        assert repo.enqueue_signups(s, candidates("a@x.org", "b@x.org", "c@x.org")) == ["c@x.org"]
        entries = {e.email: e for e in repo.list_signups(s)}
    assert entries["b@x.org"].status == "rejected"  # not re-queued, decision kept
    assert entries["a@x.org"].total_bookings == 2 and entries["a@x.org"].queued_at == NOW


def test_decisions_record_who_when_why_and_never_overwrite(engine: Engine) -> None:
    with session_scope(engine) as s:
        repo.enqueue_signups(s, candidates("a@x.org", "b@x.org", "c@x.org"))
    with session_scope(engine) as s:
        res = repo.decide_signups(
            s, emails=["A@x.org ", "zz@x.org"], decision="approved", decided_by="lee", note="regular", now=NOW
        )
    assert res.decided == ["a@x.org"] and res.unknown == ["zz@x.org"]
    with session_scope(engine) as s:
        res = repo.decide_signups(s, emails=None, decision="rejected", decided_by="kim", note=None)
    assert res.decided == ["b@x.org", "c@x.org"] and res.not_pending == {}
    with session_scope(engine) as s:
        res = repo.decide_signups(s, emails=["a@x.org"], decision="rejected", decided_by="kim")
        a = next(e for e in repo.list_signups(s) if e.email == "a@x.org")
    assert res.not_pending == {"a@x.org": "approved"}
    assert (a.status, a.decided_by, a.decided_at, a.decision_note) == ("approved", "lee", NOW, "regular")
    with pytest.raises(ValueError), session_scope(engine) as s:
        repo.decide_signups(s, emails=None, decision="approved", decided_by="")


def _invite(engine: Engine, email: str, *, expires: datetime, status: str = "sent") -> str:
    token = new_token()
    with session_scope(engine) as s:
        inv = repo.create_invitation(
            s, email=email, token_hash=hash_token(token), expires_at=expires, invited_by="lee", now=NOW
        )
        if status == "sent":
            assert not repo.claim_send(s, invitation_id=inv.id, token_hash=hash_token("other"))
            assert repo.claim_send(s, invitation_id=inv.id, token_hash=hash_token(token))
            assert not repo.claim_send(s, invitation_id=inv.id, token_hash=hash_token(token))  # once only
            s.refresh(inv)
            repo.mark_sent(s, inv, message_id="<m1>", now=NOW)
    return token


def test_tokens_are_single_use_and_expire(engine: Engine) -> None:
    token = _invite(engine, "a@x.org", expires=NOW + timedelta(days=14))
    with session_scope(engine) as s:
        stored = s.execute(text("select token_hash from user_invitations")).scalar_one()
        assert stored == hash_token(token) and token not in stored  # only the hash is stored
        assert redeem_invitation(s, token=token, now=NOW).verdict is TokenVerdict.VALID
    with session_scope(engine) as s:
        again = redeem_invitation(s, token=token, now=NOW)
        assert again.verdict is TokenVerdict.USED and again.email == "a@x.org"
        assert redeem_invitation(s, token="forged", now=NOW).verdict is TokenVerdict.UNKNOWN

    late = _invite(engine, "b@x.org", expires=NOW + timedelta(days=1))
    with session_scope(engine) as s:
        assert redeem_invitation(s, token=late, now=NOW + timedelta(days=1)).verdict is TokenVerdict.EXPIRED
        assert {i.email: i.status for i in repo.invitations(s)}["b@x.org"] == "expired"
        assert repo.invited_emails(s) == {"a@x.org"}  # expired ones no longer count as invited


def test_unsent_invitation_cannot_be_redeemed_and_expiry_sweep(engine: Engine) -> None:
    pending = _invite(engine, "c@x.org", expires=NOW + timedelta(days=1), status="pending")
    with session_scope(engine) as s:
        assert redeem_invitation(s, token=pending, now=NOW).verdict is TokenVerdict.REVOKED
        assert repo.expire_invitations(s, now=NOW + timedelta(days=2)) == 1


def test_bounce_is_recorded_by_message_id(engine: Engine) -> None:
    _invite(engine, "a@x.org", expires=NOW + timedelta(days=14))
    with session_scope(engine) as s:
        assert repo.mark_bounced(s, message_id="<m1>", reason="hard bounce: mailbox unknown") is not None
        assert repo.mark_bounced(s, message_id="<nope>", reason="x") is None
        inv = repo.invitations(s)[0]
    assert inv.status == "bounced" and "mailbox unknown" in (inv.error or "")


def test_platform_users_from_seeded_table_and_from_a_query(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        added = seed_platform_users(s, [{"email": " Ana@X.org", "first_name": "Ana"}, {"email": "bo@x.org"}])
        assert added == 2 and seed_platform_users(s, [{"email": "ana@x.org"}]) == 0
    users = read_platform_users(engine)
    assert users["email"].tolist() == ["ana@x.org", "bo@x.org"]

    other = create_engine(f"sqlite:///{tmp_path / 'platform.db'}")
    with other.begin() as conn:
        conn.execute(text("create table members (mail text, given text, active int)"))
        conn.execute(
            text("insert into members values ('Cy@X.org','Cy',1), ('old@x.org','Old',0), ('', 'Blank', 1)")
        )
    users = read_platform_users(
        other, query="select mail as email, given as first_name from members where active = 1"
    )
    assert users["email"].tolist() == ["cy@x.org"] and users["first_name"].tolist() == ["Cy"]
    with pytest.raises(ValueError):
        read_platform_users(other, table="members")  # no email column


def test_platform_connection_upsert(engine: Engine) -> None:
    with session_scope(engine) as s:
        save_connection(s, provider="eventbrite", auth_method="oauth2", config={"org": "1"}, now=NOW)
    with session_scope(engine) as s:
        save_connection(s, provider="eventbrite", auth_method="private_token", status="failing")
        conn = get_connection(s, "eventbrite")
    assert conn is not None and (conn.auth_method, conn.status, conn.created_at) == (
        "private_token",
        "failing",
        NOW,
    )
