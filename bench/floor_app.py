"""The bench's floor: a bare FastAPI endpoint that only verifies the HMAC and inserts the raw body with sqlite3.

Serve with ``uvicorn bench.floor_app:app`` and ``FLOOR_DB`` / ``FLOOR_SECRET`` set. No settings,
no batching, no headers stored, no metrics: the cheapest correct receiver, to compare against.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import time

from fastapi import FastAPI, Request, Response

SECRET = os.environ.get("FLOOR_SECRET", "floor-secret").encode()
conn = sqlite3.connect(os.environ.get("FLOOR_DB", "floor.db"), isolation_level=None, check_same_thread=False)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=NORMAL")
conn.execute(
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, event_key TEXT UNIQUE, received_at REAL, body BLOB)"
)
app = FastAPI()


@app.post("/floor")
async def floor(request: Request) -> Response:
    body = await request.body()
    header = request.headers.get("x-posh-signature", "")
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.encode(), expected.encode()):
        return Response(status_code=401)
    key = hashlib.sha256(body).hexdigest()
    cursor = conn.execute(
        "INSERT INTO events (event_key, received_at, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (key, time.time(), body),
    )
    return Response(status_code=202 if cursor.rowcount else 200)
