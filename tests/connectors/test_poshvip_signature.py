"""HMAC verification: encodings, prefixes, rotation lists, timestamps, malformed headers."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from connectors.poshvip import compute_signature, sign, verify_signature

SECRET = "s3cret"
BODY = b'{"id":"evt_1","type":"purchase.created"}'
DIGEST = hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()


@pytest.mark.parametrize(
    "header",
    [
        DIGEST.hex(),
        DIGEST.hex().upper(),
        "sha256=" + DIGEST.hex(),
        "SHA256=" + DIGEST.hex(),
        base64.b64encode(DIGEST).decode(),
        base64.urlsafe_b64encode(DIGEST).decode().rstrip("="),
        "v1," + base64.b64encode(DIGEST).decode(),
        "sha256=" + "00" * 32 + ", sha256=" + DIGEST.hex(),
    ],
)
def test_valid_forms_accepted(header: str) -> None:
    assert verify_signature(BODY, header, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256=" + "00" * 32,
        "garbage",
        DIGEST.hex()[:-2],
        base64.b64encode(DIGEST[:16]).decode(),
    ],
)
def test_invalid_forms_rejected(header: str | None) -> None:
    assert not verify_signature(BODY, header, SECRET)


def test_other_secret_or_body_rejected() -> None:
    header = sign(BODY, SECRET)
    assert verify_signature(BODY, header, SECRET)
    assert not verify_signature(BODY, header, "other")
    assert not verify_signature(BODY + b" ", header, SECRET)
    assert not verify_signature(BODY, header, "")


def test_timestamp_is_part_of_the_signed_content() -> None:
    header = sign(BODY, SECRET, timestamp="1700000000")
    assert (
        compute_signature(BODY, SECRET, timestamp="1700000000")
        == hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).digest()
    )
    assert verify_signature(BODY, header, SECRET, timestamp="1700000000")
    assert not verify_signature(BODY, header, SECRET, timestamp="1700000001")
    assert not verify_signature(BODY, header, SECRET)


def test_base64_encoding_option() -> None:
    assert sign(BODY, SECRET, encoding="base64") == base64.b64encode(DIGEST).decode()
