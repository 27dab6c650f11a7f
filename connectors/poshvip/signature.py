"""Posh.VIP delivery authenticity: HMAC-SHA256 over the raw body, compared in constant time.

Our contract (api-notes §4): the signature header carries the HMAC-SHA256 of the raw body
keyed with ``POSHVIP_WEBHOOK_SECRET``, as hex or base64, with or without a ``sha256=``
(or ``v1=`` / ``v1,``) prefix; several signatures separated by spaces or commas are
accepted if any matches (secret rotation). When the sender also signs a timestamp, the
signed content is ``"{timestamp}.{body}"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

_PREFIXES = ("sha256=", "sha256:", "v1=", "v1,", "v1:")
_SPLIT = re.compile(r"[\s,]+")


def signed_content(body: bytes, timestamp: str | None = None) -> bytes:
    """The bytes the HMAC covers: the raw body, or ``"{timestamp}.{body}"``."""
    if timestamp is None:
        return body
    return timestamp.encode("ascii", "replace") + b"." + body


def compute_signature(body: bytes, secret: str, *, timestamp: str | None = None) -> bytes:
    """The raw HMAC-SHA256 digest of :func:`signed_content` under ``secret``."""
    return hmac.new(secret.encode(), signed_content(body, timestamp), hashlib.sha256).digest()


def sign(body: bytes, secret: str, *, timestamp: str | None = None, encoding: str = "hex") -> str:
    """A header value signing ``body``: ``sha256=<hex>`` (``encoding="hex"``) or bare base64."""
    digest = compute_signature(body, secret, timestamp=timestamp)
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    return "sha256=" + digest.hex()


def _decode_candidate(token: str) -> bytes | None:
    """The 32 digest bytes a header token stands for (hex or base64), or None."""
    lowered = token.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            token = token[len(prefix) :]
            break
    if len(token) == 64:
        try:
            return bytes.fromhex(token)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(
            token + "=" * (-len(token) % 4),
            altchars=b"-_" if "-" in token or "_" in token else None,
            validate=True,
        )
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def verify_signature(body: bytes, header: str | None, secret: str, *, timestamp: str | None = None) -> bool:
    """True when ``header`` holds a valid HMAC-SHA256 of ``body`` (and ``timestamp``) under ``secret``.

    Every candidate is compared with :func:`hmac.compare_digest`; a missing or malformed
    header is simply not valid.
    """
    if not header or not secret:
        return False
    expected = compute_signature(body, secret, timestamp=timestamp)
    valid = False
    for token in _SPLIT.split(header.strip())[:8]:
        if not token:
            continue
        candidate = _decode_candidate(token)
        if candidate is not None and hmac.compare_digest(candidate, expected):
            valid = True
    return valid
