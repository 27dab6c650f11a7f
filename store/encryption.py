"""Credentials encrypted at rest: the ``EncryptedText`` column type and the key it uses.

Every value written to an ``EncryptedText`` column (the platform connections' credentials, e.g.
the Eventbrite OAuth token) is stored as ``fernet:<token>`` (AES-128-CBC + HMAC-SHA256); reading
decrypts it. A plain-text value written before this existed still reads as it is, and
:func:`encrypt_plain_rows` (run by ``engarde setup``) rewrites such rows encrypted.

The key: ``ENGARDE_SECRET_KEY`` (any string; every machine reading the database needs the same),
else a random key generated once into ``$ENGARDE_HOME/secret.key`` (mode 0600) for a single
machine. The database alone never holds what decrypts it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, Text, TypeDecorator, text
from sqlalchemy.engine import Dialect

PREFIX = "fernet:"


class CredentialsKeyError(RuntimeError):
    """Stored credentials cannot be decrypted with this machine's key (the message says what to set)."""


def _key_material() -> bytes:
    if configured := os.environ.get("ENGARDE_SECRET_KEY"):
        return configured.encode()
    path = Path(os.environ.get("ENGARDE_HOME", ".engarde")) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def fernet() -> Fernet:
    """The cipher for this process's key (see the module docstring)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(_key_material()).digest()))


def encrypt(value: str) -> str:
    """``fernet:<token>`` for ``value``."""
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain value of ``stored`` (a plain-text legacy value is returned as it is)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise CredentialsKeyError(
            "stored credentials were encrypted with another key: set ENGARDE_SECRET_KEY to the key "
            "the machine that stored them used (or store them again with this one)"
        ) from exc


class EncryptedText(TypeDecorator[str]):
    """Text encrypted on write and decrypted on read (see the module docstring)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value.startswith(PREFIX):
            return value
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


def encrypt_plain_rows(engine: Engine) -> int:
    """Rewrite plain-text credentials of platform connections encrypted; return how many.

    Plain SQL on purpose: the ORM column decrypts on read, this pass must see what is stored.
    """
    from store.models import PlatformConnection

    table = PlatformConnection.__tablename__
    with engine.begin() as conn:
        rows = conn.execute(text(f"SELECT id, credentials FROM {table} WHERE credentials IS NOT NULL")).all()
        plain = [(row_id, value) for row_id, value in rows if not str(value).startswith(PREFIX)]
        for row_id, value in plain:
            conn.execute(
                text(f"UPDATE {table} SET credentials = :c WHERE id = :i"),
                {"c": encrypt(str(value)), "i": row_id},
            )
    return len(plain)
