"""Invitation tokens, expiry, links and the built-in message (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from signups.invitations import (
    TokenVerdict,
    build_link,
    expires_at,
    hash_token,
    judge_token,
    new_token,
    render_message,
    token_matches,
)

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


def test_tokens_are_random_and_only_their_hash_matches() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40
    assert len(hash_token(a)) == 64 and hash_token(a) != a
    assert token_matches(a, hash_token(a)) and not token_matches(b, hash_token(a))


def test_expiry_and_link() -> None:
    assert expires_at(NOW, 14) == NOW + timedelta(days=14)
    with pytest.raises(ValueError):
        expires_at(NOW.replace(tzinfo=None))
    link = build_link("https://app.example.org/signup?ref=mail&token=old", "tok-1")
    parts = urlsplit(link)
    assert parts.path == "/signup" and parse_qs(parts.query) == {"ref": ["mail"], "token": ["tok-1"]}
    with pytest.raises(ValueError):
        build_link("/signup", "t")


@pytest.mark.parametrize(
    ("status", "used", "expires", "verdict"),
    [
        ("sent", None, NOW + timedelta(days=1), TokenVerdict.VALID),
        ("sent", None, NOW, TokenVerdict.EXPIRED),
        ("sent", NOW, NOW + timedelta(days=1), TokenVerdict.USED),
        ("accepted", NOW, NOW + timedelta(days=1), TokenVerdict.USED),
        ("failed", None, NOW + timedelta(days=1), TokenVerdict.REVOKED),
        (None, None, None, TokenVerdict.UNKNOWN),
    ],
)
def test_judge_token(
    status: str | None, used: datetime | None, expires: datetime | None, verdict: TokenVerdict
) -> None:
    assert judge_token(status=status, expires=expires, used_at=used, now=NOW) is verdict


def test_message_escapes_and_carries_the_link() -> None:
    msg = render_message(first_name="<Ana>", link="https://x.org/s?token=a&b=1", expires=NOW)
    assert "&lt;Ana&gt;" in msg.html and "token=a&amp;b=1" in msg.html
    assert "https://x.org/s?token=a&b=1" in msg.text and "10 January 2026" in msg.text
