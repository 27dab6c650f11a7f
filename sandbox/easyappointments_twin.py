"""EasyAppointments REST API v1 twin, answering like the real 1.6.0 server.

Served under ``/index.php/api/v1/`` and ``/api/v1/`` (URL rewriting on). What it copies
from the captured responses (shared/api-samples/easyappointments): bare JSON arrays;
``page`` 1-based (``0`` → 500, non-numeric → 500), ``length`` default 20, ``0`` = all,
negative → 500, no maximum; ``sort`` / ``fields`` skip unknown names; ``date`` / ``from``
compare DATE(start), ``till`` compares DATE(end); ``q`` disables every other filter;
errors: 401 plain text with ``WWW-Authenticate``, 404 with an empty body for an unknown
id, an HTML 404 page for an unknown route or a non-numeric id, 500
``{"success": false, "message": ...}`` for everything invalid; its 429 has an empty body
and no ``Retry-After``.

State lives in ``ctx.state["easyappointments"]``; list results are cached per query and
the window filters use a start-date index, so a page of a 20k-appointment world is cheap.
Optional: ``ctx.state["easyappointments"]["rate_limit"] = (count, seconds)`` enforces the
real server's fixed-window limit (off by default). ``ctx.state["easyappointments"]
["appointment_reads"]`` lists every appointment list call's ``from``, ``till``, ``length`` and
rows served.

Layout: the server's answers, auth check and query parameters in
:mod:`sandbox.easyappointments_http`, the records and queries in
:mod:`sandbox.easyappointments_store`, the routes here.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox.easyappointments_http import (
    APPOINTMENT_FIELDS,
    DATETIME_FORMAT,
    GENERIC_ERROR,
    SERVICE,
    BadRequest,
    authorized,
    empty,
    error,
    html_404,
    json_response,
    matches,
    page_slice,
    project,
    read_body,
    sort_rows,
    unauthorized,
)
from sandbox.easyappointments_store import Store, appointment_rows, decorate, validated_appointment
from sandbox.framework import FaultProfile, SandboxContext

FAULTS = FaultProfile(
    rate_limited=lambda: empty(429),
    server_error=lambda: error(GENERIC_ERROR),
    expired_token=None,
)


def build_app(ctx: SandboxContext) -> FastAPI:
    """The EasyAppointments twin for ``ctx`` (state under ``ctx.state["easyappointments"]``)."""
    store = Store(ctx)
    ctx.state[SERVICE] = {"store": store, "appointment_reads": []}
    ctx.stats_hooks[SERVICE] = lambda: {
        "appointments": len(store.appointments),
        "customers": len(store.customers),
        "services": len(store.services),
        "providers": len(store.providers),
    }
    app = FastAPI(title="EasyAppointments twin", openapi_url=None, docs_url=None, redoc_url=None)
    _install_guards(app, ctx, store)
    routes = _Appointments(ctx, store)
    router = APIRouter()
    router.add_api_route("/appointments", routes.index, methods=["GET"])
    router.add_api_route("/appointments/{item_id}", routes.show, methods=["GET"])
    router.add_api_route("/appointments", routes.create, methods=["POST"])
    router.add_api_route("/appointments/{item_id}", routes.update, methods=["PUT"])
    router.add_api_route("/appointments/{item_id}", routes.delete, methods=["DELETE"])
    for name, table in (
        ("customers", store.customers),
        ("services", store.services),
        ("providers", store.providers),
    ):
        resource = _Resource(table)
        router.add_api_route(f"/{name}", resource.index, methods=["GET"])
        router.add_api_route(f"/{name}/{{item_id}}", resource.show, methods=["GET"])
    app.include_router(router, prefix="/index.php/api/v1")
    app.include_router(router, prefix="/api/v1")
    return app


def _install_guards(app: FastAPI, ctx: SandboxContext, store: Store) -> None:
    """The rate limit and auth check before every route, and the server's error answers after."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Response:
        limit = ctx.state[SERVICE].get("rate_limit")
        store.rate_limit = (int(limit[0]), float(limit[1])) if limit else None
        if not store.allow():
            return empty(429)
        if not authorized(request.headers.get("authorization", "")):
            return unauthorized()
        try:
            response: Response = await call_next(request)
        except BadRequest as exc:
            return error(exc.message)
        return response

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, exc: BadRequest) -> Response:
        return error(exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(_: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            return html_404()
        return error(GENERIC_ERROR)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, _exc: RequestValidationError) -> Response:
        return error(GENERIC_ERROR)


class _Appointments:
    """``/appointments``: list, show, create, update, delete."""

    def __init__(self, ctx: SandboxContext, store: Store) -> None:
        self.ctx = ctx
        self.store = store

    async def index(self, request: Request) -> Response:
        qp = dict(request.query_params)
        page = page_slice(appointment_rows(self.store, qp), qp.get("page"), qp.get("length"))
        # what each list call asked for and got, so tests can tell a window read from a history read
        self.ctx.state[SERVICE]["appointment_reads"].append(
            {"from": qp.get("from"), "till": qp.get("till"), "length": qp.get("length"), "rows": len(page)}
        )
        return json_response(decorate(self.store, page, qp))

    async def show(self, item_id: str, request: Request) -> Response:
        if not item_id.isdigit():
            return html_404()
        record = self.store.appointments.get(int(item_id))
        if record is None:
            return empty(404)
        return json_response(decorate(self.store, [record], dict(request.query_params))[0])

    async def create(self, request: Request) -> Response:
        store = self.store
        body = await read_body(request)
        record = validated_appointment(store, body, None)
        record["id"] = store.next_id
        store.next_id += 1
        record["book"] = datetime.now(UTC).strftime(DATETIME_FORMAT)
        record["hash"] = "".join(store.rng.choices(string.ascii_letters + string.digits, k=12))
        store.appointments[record["id"]] = {k: record.get(k) for k in APPOINTMENT_FIELDS}
        store.reindex()
        return json_response(store.appointments[record["id"]], 201)

    async def update(self, item_id: str, request: Request) -> Response:
        if not item_id.isdigit():
            return html_404()
        current = self.store.appointments.get(int(item_id))
        if current is None:
            return empty(404)
        body = await read_body(request)
        updated = validated_appointment(self.store, body, current)
        self.store.appointments[current["id"]] = {k: updated.get(k) for k in APPOINTMENT_FIELDS}
        self.store.reindex()
        return json_response(self.store.appointments[current["id"]])

    async def delete(self, item_id: str) -> Response:
        if not item_id.isdigit():
            return html_404()
        if self.store.appointments.pop(int(item_id), None) is None:
            return empty(404)
        self.store.reindex()
        return empty(204)


class _Resource:
    """A read-only resource (customers, services, providers): list and show."""

    def __init__(self, table: dict[int, dict[str, Any]]) -> None:
        self.table = table

    async def index(self, request: Request) -> Response:
        qp = dict(request.query_params)
        rows = [self.table[i] for i in sorted(self.table)]
        if qp.get("q"):
            rows = [r for r in rows if matches(r, qp["q"].lower())]
        known = {k for r in rows[:1] for k in r}
        rows = sort_rows(rows, qp.get("sort"), known)
        return json_response(project(page_slice(rows, qp.get("page"), qp.get("length")), qp.get("fields")))

    async def show(self, item_id: str, request: Request) -> Response:
        if not item_id.isdigit():
            return html_404()
        record = self.table.get(int(item_id))
        if record is None:
            return empty(404)
        return json_response(project([record], request.query_params.get("fields"))[0])
