"""The twins' framework: one ASGI app that mounts every twin under its prefix.

Each twin is a module with ``build_app(ctx) -> ASGI app`` and a ``FAULTS`` :class:`FaultProfile`
that knows the service's real failure responses (its 429 with its real headers, its 5xx,
its expired-token answer), and optionally ``background(ctx)``: an async context the sandbox
enters when the server starts and leaves when it stops (Brevo's random events). The framework
wraps each twin to count every request it serves (per route) and to inject faults: at a random
``rate`` (deterministic per seed) or on demand (:meth:`Faults.queue`) for tests.

Admin endpoints under ``/_sandbox``: ``GET /stats``, ``POST /faults`` (``{"rate": 0.2}``),
``POST /faults/queue`` (``{"service": "brevo", "kind": "429", "count": 2}``), ``POST /hooks``
(a ``SIGKILL`` at a named instant, see :mod:`sandbox.hooks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import random
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.budgets import BudgetMeter
from sandbox.hooks import hooks_of
from sandbox.world import World
from serving.threaded_server import ThreadedServer

FAULT_KINDS = ("429", "5xx", "delay", "expired_token")
#: service name -> (module implementing the twin, mount prefix)
TWINS: dict[str, tuple[str, str]] = {
    "easyappointments": ("sandbox.easyappointments_twin", "/easyappointments"),
    "eventbrite": ("sandbox.eventbrite_twin", "/eventbrite"),
    "zoom": ("sandbox.zoom_twin", "/zoom"),
    "brevo": ("sandbox.brevo_twin", "/brevo"),
    "anthropic": ("sandbox.anthropic_twin", "/anthropic"),
}


@dataclass
class FaultProfile:
    """How one service fails, in its own words. ``expired_token`` is None when not applicable."""

    rate_limited: Callable[[], Response]
    server_error: Callable[[], Response] = lambda: JSONResponse(
        {"message": "internal error"}, status_code=503
    )
    expired_token: Callable[[], Response] | None = None
    delay_seconds: float = 0.3
    #: Paths (prefix match, below the twin) never faulted, e.g. admin or token endpoints.
    exempt: tuple[str, ...] = ()


@dataclass
class Faults:
    """Fault injection state shared by all twins."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = ("429", "5xx", "delay", "expired_token")
    queued: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    injected: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"faults:{self.seed}")

    def queue(self, service: str, kind: str, count: int = 1) -> None:
        """Make the next ``count`` requests to ``service`` fail with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {FAULT_KINDS}")
        self.queued[service].extend([kind] * count)

    def draw(self, service: str, profile: FaultProfile) -> str | None:
        """The fault for the next request to ``service``, or None."""
        if self.queued[service]:
            return self.queued[service].popleft()
        if self.rate <= 0 or self._rng.random() >= self.rate:
            return None
        kinds = [k for k in self.kinds if k != "expired_token" or profile.expired_token is not None]
        return self._rng.choice(kinds)


@dataclass
class SandboxContext:
    """What every twin gets: the world, a private state dict per twin, and a deterministic rng."""

    world: World
    faults: Faults
    state: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    stats_hooks: dict[str, Callable[[], dict[str, Any]]] = field(default_factory=dict)
    #: Real API budgets per client (sandbox/budgets.py); enforced only when asked.
    budgets: BudgetMeter = field(default_factory=BudgetMeter)
    #: Test speed instead of the real services' pace (Brevo: sandbox/brevo/pace.py).
    fast: bool = False

    @property
    def rng(self) -> random.Random:
        """A generator for ad-hoc randomness (ids, tokens); deterministic per world seed."""
        rng = self.state.get("_rng")
        if rng is None:
            rng = self.state["_rng"] = self.world.rng_for("sandbox")
        assert isinstance(rng, random.Random)
        return rng

    def stats(self) -> dict[str, Any]:
        """Requests served per service and route, faults injected, and each twin's own state."""
        out: dict[str, Any] = {}
        for service in TWINS:
            routes = self.requests.get(service, Counter())
            entry: dict[str, Any] = {"requests": sum(routes.values()), "routes": dict(sorted(routes.items()))}
            if service in self.stats_hooks:
                entry["state"] = self.stats_hooks[service]()
            if (budget := self.budgets.stats(service)) is not None:
                entry["budget"] = budget
            out[service] = entry
        out["faults_injected"] = dict(self.faults.injected)
        return out


class TwinMiddleware:
    """Counts requests per route and injects the service's faults before the twin sees them."""

    def __init__(self, app: ASGIApp, *, service: str, ctx: SandboxContext, profile: FaultProfile) -> None:
        self.app = app
        self.service = service
        self.ctx = ctx
        self.profile = profile

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        below = scope["path"][len(scope.get("root_path", "")) :] if scope.get("root_path") else scope["path"]
        exempt = any(p in scope["path"] for p in self.profile.exempt)
        fault = None if exempt else self.ctx.faults.draw(self.service, self.profile)
        if fault == "delay":
            self.ctx.faults.injected[f"{self.service}:delay"] += 1
            await asyncio.sleep(self.profile.delay_seconds)
            fault = None
        if fault is None and not self.ctx.budgets.admit(self.service, below, _headers(scope)):
            self.ctx.requests[self.service][f"{scope['method']} (over budget)"] += 1
            await self.profile.rate_limited()(scope, receive, send)
            return
        if fault is not None:
            self.ctx.faults.injected[f"{self.service}:{fault}"] += 1
            self.ctx.requests[self.service][f"{scope['method']} (fault {fault})"] += 1
            factory = {
                "429": self.profile.rate_limited,
                "5xx": self.profile.server_error,
                "expired_token": self.profile.expired_token or self.profile.server_error,
            }[fault]
            await factory()(scope, receive, send)
            return
        await self.app(scope, receive, send)
        route = scope.get("route")
        template = getattr(route, "path", None) or below
        self.ctx.requests[self.service][f"{scope['method']} {template}"] += 1


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def load_twin(service: str) -> Any:
    """Import the module implementing ``service``'s twin, or None if it does not exist yet."""
    module_name, _ = TWINS[service]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def create_sandbox_app(ctx: SandboxContext) -> Starlette:
    """The composite app: every available twin under its prefix, plus ``/_sandbox`` admin."""
    routes: list[Any] = []
    backgrounds: list[Callable[[SandboxContext], contextlib.AbstractAsyncContextManager[Any]]] = []
    for service, (_, prefix) in TWINS.items():
        module = load_twin(service)
        if module is None:
            continue
        app = module.build_app(ctx)
        if hasattr(module, "background"):
            backgrounds.append(module.background)
        routes.append(Mount(prefix, app=TwinMiddleware(app, service=service, ctx=ctx, profile=module.FAULTS)))

    async def stats(_: Request) -> JSONResponse:
        return JSONResponse(ctx.stats())

    async def set_faults(request: Request) -> JSONResponse:
        body = await request.json()
        ctx.faults.rate = float(body.get("rate", ctx.faults.rate))
        return JSONResponse({"rate": ctx.faults.rate})

    async def queue_fault(request: Request) -> JSONResponse:
        body = await request.json()
        ctx.faults.queue(str(body["service"]), str(body["kind"]), int(body.get("count", 1)))
        return JSONResponse({"queued": {k: list(v) for k, v in ctx.faults.queued.items() if v}})

    async def arm_hook(request: Request) -> JSONResponse:
        hook = hooks_of(ctx.state).arm(await request.json())
        return JSONResponse({"armed": hook.at, "pid": hook.pid, "nth": hook.nth})

    admin = [
        Route("/_sandbox/stats", stats),
        Route("/_sandbox/hooks", arm_hook, methods=["POST"]),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        Route("/_sandbox/faults/queue", queue_fault, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for background in backgrounds:
                await stack.enter_async_context(background(ctx))
            yield

    return Starlette(routes=admin + routes, lifespan=lifespan)


def service_urls(base: str, *, fast: bool = False) -> dict[str, str]:
    """Environment variables that point every connector at a sandbox served at ``base``."""
    base = base.rstrip("/")
    # A fast twin finishes an import within a second: poll it quickly. A real one: the client's pace.
    brevo_polls = {"BREVO_PROCESS_POLL_INITIAL": "0.3", "BREVO_PROCESS_POLL_MAX": "1"} if fast else {}
    return brevo_polls | {
        "EASYAPPOINTMENTS_URL": f"{base}/easyappointments",
        "EASYAPPOINTMENTS_API_TOKEN": "sandbox-easyappointments-token",
        "EVENTBRITE_API_URL": f"{base}/eventbrite/v3",
        "EVENTBRITE_OAUTH_URL": f"{base}/eventbrite/oauth",
        "EVENTBRITE_OAUTH_TOKEN": "sandbox-eventbrite-token",
        "ZOOM_API_URL": f"{base}/zoom/v2",
        "ZOOM_OAUTH_URL": f"{base}/zoom/oauth/token",
        "ZOOM_ACCOUNT_ID": "sandbox-account",
        "ZOOM_CLIENT_ID": "sandbox-client",
        "ZOOM_CLIENT_SECRET": "sandbox-zoom-secret",
        "BREVO_API_URL": f"{base}/brevo/v3",
        "BREVO_API_KEY": "xkeysib-sandbox",
        "BREVO_SENDER_EMAIL": "hello@engarde.example",
        "ANTHROPIC_BASE_URL": f"{base}/anthropic",
        "ANTHROPIC_API_KEY": "sk-ant-sandbox",
        "POSHVIP_WEBHOOK_SECRET": "sandbox-poshvip-secret",
        "ENGARDE_SANDBOX_URL": f"{base}/_sandbox",
    }


# --------------------------------------------------------------------------- serving


class RunningSandbox(ThreadedServer):
    """A sandbox served by uvicorn on a loopback port in a background thread (tests, demo)."""

    def __init__(
        self, ctx: SandboxContext, *, host: str = "127.0.0.1", port: int = 0, app: ASGIApp | None = None
    ) -> None:
        super().__init__(
            app or create_sandbox_app(ctx), host=host, port=port, name="engarde-sandbox", lifespan="auto"
        )
        self.ctx = ctx

    @property
    def env(self) -> dict[str, str]:
        """The environment variables pointing connectors at this sandbox."""
        return service_urls(self.base_url, fast=self.ctx.fast)


def new_context(
    scale: int = 2_000,
    seed: int = 7,
    faults: float = 0.0,
    budgets: bool = False,
    fast: bool | None = None,
    **world_kw: Any,
) -> SandboxContext:
    """A fresh context with a newly built world; ``budgets`` enforces the real API budgets per client.

    ``fast`` (None: ``ENGARDE_SANDBOX_FAST=1`` in the environment) serves the twins at test
    speed; otherwise they keep the real services' pace (Brevo: sandbox/brevo/pace.py).
    """
    from sandbox.world import build_world

    return SandboxContext(
        world=build_world(scale, seed, **world_kw),
        faults=Faults(rate=faults, seed=seed),
        budgets=BudgetMeter(enforce=budgets),
        fast=os.environ.get("ENGARDE_SANDBOX_FAST") == "1" if fast is None else fast,
    )
