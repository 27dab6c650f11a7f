"""Set-up shared by the connector tests that talk to a twin over loopback.

``FAST`` retries in milliseconds instead of the production back-off. A test module gets its own
sandbox with ``sandbox = module_sandbox(seed=...)`` (one world per module, so modules do not
disturb each other); the ``ctx`` fixture hands a test that sandbox's context and afterwards
undoes what tests change in the twins: injected faults, the EasyAppointments rate limit and the
Zoom twin's knobs. ``zoom_auth`` is the app's Server-to-Server credentials for the Zoom twin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.http import RetryPolicy
from connectors.zoom import ZoomS2SAuth
from sandbox import zoom_twin
from sandbox.framework import RunningSandbox, SandboxContext, new_context

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, rate_limit_window=0.05, max_attempts=10, jitter=0.0)


def module_sandbox(*, seed: int, scale: int = 2_000, **world: Any) -> Callable[[], Iterator[RunningSandbox]]:
    """A module-scoped ``sandbox`` fixture serving a world of ``scale`` people built from ``seed``."""

    @pytest.fixture(scope="module", name="sandbox")
    def sandbox() -> Iterator[RunningSandbox]:
        with RunningSandbox(new_context(scale=scale, seed=seed, **world)) as running:
            yield running

    return sandbox


@pytest.fixture
def ctx(sandbox: RunningSandbox) -> Iterator[SandboxContext]:
    """The sandbox's context; the twins are put back as they were once the test is done."""
    yield sandbox.ctx
    reset_twins(sandbox.ctx)


def reset_twins(ctx: SandboxContext) -> None:
    """Undo what connector tests change in the twins: faults, the EasyAppointments limit, Zoom's knobs."""
    ctx.faults.rate = 0.0
    ctx.faults.queued.clear()
    ctx.state.get("easyappointments", {}).pop("rate_limit", None)
    state = zoom_twin.state_of(ctx)
    state.plan = "pro"
    state.token_lifetime = 3600.0
    state.page_token_ttl = 900.0
    state.expire_page_tokens = 0
    state.exhausted.clear()


def zoom_auth(sandbox: RunningSandbox, secret: str | None = None, **kw: Any) -> ZoomS2SAuth:
    """The app's Server-to-Server OAuth credentials for the Zoom twin (``secret`` replaces the real one)."""
    env = sandbox.env
    return ZoomS2SAuth(
        account_id=env["ZOOM_ACCOUNT_ID"],
        client_id=env["ZOOM_CLIENT_ID"],
        client_secret=SecretStr(secret or env["ZOOM_CLIENT_SECRET"]),
        token_url=env["ZOOM_OAUTH_URL"],
        **kw,
    )
