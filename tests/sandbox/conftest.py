"""Fixtures of the Brevo twin's tests: each module serves its own world (``sandbox``); these read it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.brevo_twin import API_KEY, BrevoState
from sandbox.framework import RunningSandbox


@pytest.fixture(scope="module")
def state(sandbox: RunningSandbox) -> BrevoState:
    """The Brevo twin's state in the module's sandbox."""
    value = sandbox.ctx.state["brevo"]
    assert isinstance(value, BrevoState)
    return value


@pytest.fixture(scope="module")
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    """A plain httpx client on the module's Brevo twin, with the right API key."""
    with httpx.Client(
        base_url=sandbox.env["BREVO_API_URL"], headers={"api-key": API_KEY}, timeout=10
    ) as client:
        yield client
