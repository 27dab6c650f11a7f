"""The Posh.VIP webhook receiver: verify -> store raw -> 2xx. No parsing or business logic here.

Per delivery, in this order: path token (if configured) -> size limit (413) -> the whole body
within ``RECEIVER_BODY_TIMEOUT`` (408) -> timestamp window and HMAC signature over the raw body
(401, nothing stored) -> store raw body, capped headers without secrets, received time and
dedupe key through the writer thread (:mod:`webhooks.writer`) -> 202 (new) or 200 (redelivery).
A delivery that could not be committed within ``RECEIVER_WRITE_TIMEOUT`` answers 503 with
``Retry-After`` so the sender retries. ``GET /healthz`` (liveness: never touches the database),
``GET /readyz`` (a delivery could be stored right now) and ``GET /metrics`` (Prometheus text)
serve operations.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from connectors.poshvip import dedupe_key, verify_signature
from store.db import DatabaseNotMigrated, DatabaseSettings, make_engine
from store.migrate import ensure_migrated
from webhooks.brevo import add_brevo_route
from webhooks.settings import ReceiverSettings
from webhooks.state import PROVIDER, ReceiverState, State, answer, read_capped, unavailable
from webhooks.writer import StorageUnavailable, bound_waits, connect_args

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/webhooks/poshvip"


class ReceiverConfigError(RuntimeError):
    """The receiver is configured so that it must not start (e.g. no webhook secret)."""


def _reject(state: ReceiverState, status: int, reason: str, message: str) -> Response:
    state.metrics.rejected(reason)
    log.info("rejected a Posh.VIP delivery: %s", reason)
    return answer(status, {"status": "rejected", "reason": reason, "detail": message})


def _timestamp_age(value: str) -> float | None:
    """Seconds between now and a unix-seconds or ISO timestamp, or None if unreadable."""
    try:
        when = float(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        when = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    if when > 1e11:  # milliseconds
        when /= 1000
    return abs(time.time() - when)


def _check_signature(request: Request, state: ReceiverState, secret: str, body: bytes) -> Response | None:
    """The 401 for a delivery whose timestamp (when configured) or HMAC signature fails, else None."""
    settings = state.settings
    stamp: str | None = None
    if settings.poshvip_timestamp_header:
        stamp = request.headers.get(settings.poshvip_timestamp_header)
        if not stamp:
            return _reject(state, 401, "missing_timestamp", "timestamp header missing")
        age = _timestamp_age(stamp)
        if age is None or age > settings.poshvip_timestamp_tolerance:
            return _reject(state, 401, "stale_timestamp", "timestamp outside the accepted window")
    signature = request.headers.get(settings.poshvip_signature_header)
    if not signature:
        return _reject(state, 401, "missing_signature", "signature header missing")
    signed_stamp = stamp if settings.poshvip_sign_timestamp else None
    if not verify_signature(body, signature, secret, timestamp=signed_stamp):
        return _reject(state, 401, "bad_signature", "signature does not match")
    return None


async def receive_poshvip(request: Request, state: ReceiverState, token: str | None) -> Response:
    """Verify and store one delivery; see the module docstring for the order of checks."""
    settings = state.settings
    if state.path_token is not None and not hmac.compare_digest(
        (token or "").encode(), state.path_token.encode()
    ):
        return _reject(state, 404, "bad_path_token", "not found")
    if token is not None and state.path_token is None:
        return _reject(state, 404, "bad_path_token", "not found")
    limit = settings.receiver_max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return _reject(state, 413, "too_large", f"body over {limit} bytes")
    try:
        async with asyncio.timeout(settings.receiver_body_timeout):
            body = await read_capped(request, limit)
    except TimeoutError:
        return _reject(
            state, 408, "body_timeout", f"body not received within {settings.receiver_body_timeout} s"
        )
    except ClientDisconnect:  # the sender gave up mid-body: nothing to store, nobody to answer
        return _reject(state, 400, "disconnected", "client disconnected")
    if body is None:
        return _reject(state, 413, "too_large", f"body over {limit} bytes")
    refused = None if state.secret is None else _check_signature(request, state, state.secret, body)
    if refused is not None:
        return refused
    if not body or body.isspace():  # no stripped copy of every body
        return _reject(state, 400, "empty_body", "empty body")
    key = dedupe_key(body)
    try:
        new = await state.writer.store_raw(
            provider=PROVIDER, event_key=key, body=body, headers=request.headers
        )
    except StorageUnavailable:
        state.metrics.failed()
        return unavailable()
    if not new:
        state.metrics.duplicate()
        return answer(200, {"status": "duplicate", "key": key})
    state.metrics.accepted()
    state.notifier.stored(key)
    return answer(202, {"status": "accepted", "key": key})


def settle_for_serving() -> None:
    """Tune the process for many short requests once everything is imported (called at startup).

    ``gc.freeze()`` moves the objects imported at start (FastAPI, SQLAlchemy, pydantic: many
    thousands) out of the collector's reach, so a full collection under load scans only what
    requests created instead of pausing every request for all of them. A 1 ms GIL switch interval (5 ms by default) lets the
    writer thread get back from each database call without waiting for the event loop's slice.
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.001)


def check_settings(settings: ReceiverSettings) -> None:
    """Refuse a receiver without a secret unless the insecure development flag is set."""
    if settings.poshvip_webhook_secret is None or not settings.poshvip_webhook_secret.get_secret_value():
        if not settings.receiver_insecure_dev:
            raise ReceiverConfigError(
                "POSHVIP_WEBHOOK_SECRET is not set: the receiver would accept forged deliveries. "
                "Set it (the secret configured in Posh.VIP), or pass --insecure-dev for local development."
            )
        log.warning(
            "INSECURE: the Posh.VIP receiver runs WITHOUT a webhook secret and accepts UNSIGNED deliveries "
            "(development flag). Never run it like this on a reachable address."
        )
        settings.poshvip_webhook_secret = None


def receiver_engine(settings: ReceiverSettings) -> Engine:
    """The receiver's own small engine: connecting and every write bounded by ``RECEIVER_WRITE_TIMEOUT``."""
    url = settings.database_url or DatabaseSettings().database_url
    extra = connect_args(url, settings.receiver_write_timeout)
    engine = make_engine(url, pool_size=2, max_overflow=2, **({"connect_args": extra} if extra else {}))
    bound_waits(engine, settings.receiver_write_timeout)
    return engine


async def open_state(settings: ReceiverSettings, engine: Engine) -> ReceiverState:
    """The routes' state, its writer and notifier started (the database checked, not required, to be up).

    An unmigrated database refuses the start (:class:`store.db.DatabaseNotMigrated`); an
    unreachable one only makes ``/readyz`` and deliveries answer 503 until it is back.
    """
    state = ReceiverState(settings, engine)
    try:
        await asyncio.to_thread(ensure_migrated, engine)
    except DatabaseNotMigrated:
        raise
    except SQLAlchemyError as exc:
        log.warning(
            "database unreachable at start (%s): deliveries answer 503 until it is back",
            type(exc).__name__,
        )
    state.writer.start()
    await state.notifier.start()
    return state


async def poshvip_webhook(request: Request) -> Response:
    """Receive one Posh.VIP delivery (``token``: the optional unguessable path segment)."""
    return await receive_poshvip(request, request.app.state.receiver, request.path_params.get("token"))


async def readyz(state: State) -> Response:
    """A delivery could be stored right now (a real write, at most once a second)."""
    problem = await state.writer.ready()
    if problem is not None:
        return answer(503, {"status": "unavailable", "database": problem}, {"Retry-After": "5"})
    return answer(200, {"status": "ready"})


async def metrics(state: State) -> Response:
    """Delivery counters in Prometheus text format."""
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def create_app(
    settings: ReceiverSettings, *, engine: Engine | None = None, tune_process: bool = False
) -> FastAPI:
    """The receiver app. Raises :class:`ReceiverConfigError` when it must not start.

    ``tune_process``: the app owns its process (``engarde receiver``), so its startup may
    call :func:`settle_for_serving`; tests and the demo serve it inside another process.
    See :func:`open_state` for what startup does with the database.
    """
    check_settings(settings)
    bound = engine if engine is not None else receiver_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state.receiver = await open_state(settings, bound)
        if tune_process:
            settle_for_serving()
        try:
            yield
        finally:
            await state.notifier.stop()
            state.writer.stop()

    # FastAPI's built-in OpenTelemetry bridge is off: nothing here configures a tracer or meter,
    # yet it looked up the global providers on every request.
    app = FastAPI(
        title="En Garde webhook receiver",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    # Plain Starlette routes: the hot path skips FastAPI's dependency solving and body handling,
    # which cost as much CPU as the whole delivery (verify + dedupe key + insert) in the bench.
    app.router.routes.append(Route(WEBHOOK_PATH, poshvip_webhook, methods=["POST"]))
    app.router.routes.append(Route(WEBHOOK_PATH + "/{token}", poshvip_webhook, methods=["POST"]))
    add_brevo_route(app)
    app.get("/healthz")(healthz)
    app.get("/readyz")(readyz)
    app.get("/metrics")(metrics)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (used with several workers): settings from the environment."""
    return create_app(ReceiverSettings(), tune_process=True)
