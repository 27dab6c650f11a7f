"""What the receiver's routes share: their state (settings, writer, notifier, counters) and answers.

Both the Posh.VIP route (:mod:`webhooks.app`) and Brevo's (:mod:`webhooks.brevo`) use these;
they live here so neither route module imports the other.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import Engine

from webhooks.metrics import DeliveryMetrics
from webhooks.notify import DeliveryNotifier
from webhooks.settings import ReceiverSettings
from webhooks.writer import DeliveryWriter

PROVIDER = "poshvip"
_JSON = "application/json"


class ReceiverState:
    """What the routes share: settings, engine, writer, notifier and counters."""

    def __init__(self, settings: ReceiverSettings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.writer = DeliveryWriter(
            engine, max_batch=settings.receiver_max_batch, timeout=settings.receiver_write_timeout
        )
        self.notifier = DeliveryNotifier(
            enabled=settings.receiver_emit_events, interval=settings.receiver_emit_interval
        )
        self.metrics = DeliveryMetrics(provider=PROVIDER)
        self.secret = (
            settings.poshvip_webhook_secret.get_secret_value() if settings.poshvip_webhook_secret else None
        )
        self.path_token = (
            settings.poshvip_path_token.get_secret_value() if settings.poshvip_path_token else None
        )


async def get_state(request: Request) -> ReceiverState:
    """The app's :class:`ReceiverState` (a FastAPI dependency)."""
    state: ReceiverState = request.app.state.receiver
    return state


State = Annotated[ReceiverState, Depends(get_state)]


def answer(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body).encode(), status_code=status, media_type=_JSON, headers=headers)


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it exceeds ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def unavailable() -> Response:
    """503 with ``Retry-After``: the delivery was not stored; the sender should retry."""
    return answer(
        503, {"status": "unavailable", "detail": "storage unavailable, retry"}, {"Retry-After": "5"}
    )
