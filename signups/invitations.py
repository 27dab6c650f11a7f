"""Platform invitations, pure: tokens and their hashes, expiry, links, the built-in message.

A token is random (256 bits, URL-safe). Only its SHA-256 hash is stored; the raw token
exists in memory while the invitation email is built and then only in the link sent.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Bytes of randomness in a token (the URL-safe text is about 43 characters).
TOKEN_BYTES = 32
DEFAULT_TTL_DAYS = 14


def new_token() -> str:
    """A fresh random invitation token (URL-safe text)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of ``token``: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Whether ``token`` hashes to ``token_hash`` (constant-time comparison)."""
    return hmac.compare_digest(hash_token(token), token_hash)


def expires_at(created_at: datetime, ttl_days: int = DEFAULT_TTL_DAYS) -> datetime:
    """When an invitation created at ``created_at`` (aware) stops being valid."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    if ttl_days <= 0:
        raise ValueError("ttl_days must be positive")
    return created_at + timedelta(days=ttl_days)


def build_link(signup_url: str, token: str) -> str:
    """``signup_url`` with ``token=<token>`` added to its query (other parameters are kept)."""
    parts = urlsplit(signup_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"sign-up URL must be an absolute http(s) URL, got {signup_url!r}")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    query.append(("token", token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class TokenVerdict(StrEnum):
    """What presenting a token means for its invitation."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


#: Invitation statuses under which a presented token can still be accepted.
REDEEMABLE_STATUSES = frozenset({"sent", "sending"})


def judge_token(
    *, status: str | None, expires: datetime | None, used_at: datetime | None, now: datetime
) -> TokenVerdict:
    """Decide whether an invitation (found by its token hash; ``status`` None = not found) may be redeemed.

    Single use: once ``used_at`` is set the token is spent. Expiry is checked at ``now``
    (expiry instant itself is already expired). Only invitations whose email went out
    (or may have) can be redeemed; pending, failed and bounced ones are revoked.
    """
    if status is None or expires is None:
        return TokenVerdict.UNKNOWN
    if used_at is not None or status == "accepted":
        return TokenVerdict.USED
    if status == "expired" or now >= expires:
        return TokenVerdict.EXPIRED
    if status not in REDEEMABLE_STATUSES:
        return TokenVerdict.REVOKED
    return TokenVerdict.VALID


@dataclass(frozen=True)
class InvitationMessage:
    """A ready-to-send invitation email (the built-in message, used when no template is configured)."""

    subject: str
    html: str
    text: str


def template_params(*, first_name: str | None, link: str, expires: datetime) -> dict[str, Any]:
    """Parameters for a Brevo template (``{{ params.LINK }}`` etc.)."""
    return {
        "FIRSTNAME": first_name or "",
        "LINK": link,
        "EXPIRES": expires.strftime("%Y-%m-%d"),
    }


def render_message(*, first_name: str | None, link: str, expires: datetime) -> InvitationMessage:
    """The plain built-in invitation message."""
    hello = f"Hi {first_name}," if first_name else "Hello,"
    until = expires.strftime("%d %B %Y")
    text = (
        f"{hello}\n\n"
        "Thank you for booking with En Garde. You are invited to join the En Garde platform.\n\n"
        f"Create your account here: {link}\n\n"
        f"This link works once and until {until}.\n"
    )
    safe_link = html.escape(link, quote=True)
    body = (
        f"<p>{html.escape(hello)}</p>"
        "<p>Thank you for booking with En Garde. You are invited to join the En Garde platform.</p>"
        f'<p><a href="{safe_link}">Create your account</a></p>'
        f"<p>This link works once and until {html.escape(until)}.</p>"
    )
    return InvitationMessage(subject="Your invitation to En Garde", html=body, text=text)
