"""The bench's floor: a bare FastAPI endpoint that only verifies the HMAC and inserts the raw body.

    python bench/floor_app.py --port 8090 [--workers 2]

``FLOOR_SECRET`` is the HMAC secret. ``FLOOR_DATABASE_URL`` chooses the store: a
``postgresql://`` URL gives each worker ONE PostgreSQL connection (psycopg, autocommit, one
``INSERT ... ON CONFLICT DO NOTHING`` per request); otherwise ``FLOOR_DB`` is a SQLite file
(sqlite3, WAL, one insert per request). No settings, no batching, no headers stored, no
metrics, no timeouts: the cheapest correct receiver, to compare against. Several workers
share one socket the way ``engarde receiver`` does (so both get TCP_NODELAY).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

SECRET = os.environ.get("FLOOR_SECRET", "floor-secret").encode()
DATABASE_URL = os.environ.get("FLOOR_DATABASE_URL", "")
_TABLE = "CREATE TABLE IF NOT EXISTS events ({id}, event_key TEXT UNIQUE, received_at DOUBLE PRECISION, body {blob})"


def _connect() -> tuple[Any, str]:
    """The one connection of this worker, and its insert statement."""
    if DATABASE_URL.startswith(("postgresql", "postgres")):
        import psycopg

        conn: Any = psycopg.connect(DATABASE_URL, autocommit=True)
        conn.execute(_TABLE.format(id="id BIGSERIAL PRIMARY KEY", blob="BYTEA"))
        return (
            conn,
            "INSERT INTO events (event_key, received_at, body) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        )
    conn = sqlite3.connect(
        os.environ.get("FLOOR_DB", "floor.db"), isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(_TABLE.format(id="id INTEGER PRIMARY KEY", blob="BLOB"))
    return conn, "INSERT INTO events (event_key, received_at, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"


conn, INSERT = _connect()
app = FastAPI()


@app.post("/floor")
async def floor(request: Request) -> Response:
    body = await request.body()
    header = request.headers.get("x-posh-signature", "")
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.encode(), expected.encode()):
        return Response(status_code=401)
    key = hashlib.sha256(body).hexdigest()
    cursor = conn.execute(INSERT, (key, time.time(), body))
    return Response(status_code=202 if cursor.rowcount else 200)


def main() -> None:
    """Serve the floor on loopback with one or several workers."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import uvicorn

    from webhooks.server import serve_workers

    if args.workers <= 1:
        uvicorn.run("bench.floor_app:app", port=args.port, log_level="warning", access_log=False)
    else:
        serve_workers(
            "bench.floor_app:app",
            host="127.0.0.1",
            port=args.port,
            workers=args.workers,
            log_level="warning",
            factory=False,
        )


if __name__ == "__main__":
    main()
