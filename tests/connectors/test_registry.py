"""The integration registry and the connection checks behind `engarde check`."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.http import AuthenticationError
from connectors.registry import (
    INTEGRATIONS,
    CheckStatus,
    Integration,
    check_all,
    check_integration,
    get_integration,
    missing_settings,
)

HERE = "tests.connectors.test_registry"


class DemoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    api_key: SecretStr
    port: int = 1


class DemoClient:
    """A stand-in connector: its key decides the outcome."""

    closed = 0

    def __init__(self, settings: DemoSettings) -> None:
        self.key = settings.api_key.get_secret_value()

    async def test_connection(self) -> None:
        if self.key == "slow":
            await asyncio.sleep(5)
        if self.key != "good":
            raise AuthenticationError(
                "Key not found", provider="demo", method="GET", path="/me", status=401, code="unauthorized"
            )

    async def aclose(self) -> None:
        DemoClient.closed += 1


class NoTest:
    def __init__(self) -> None:
        pass


def demo(**kw: object) -> Integration:
    base = get_integration("brevo").model_dump()
    base.update(
        name="demo",
        required_settings=(("DEMO_API_KEY",),),
        client_factory=f"{HERE}:DemoClient",
        settings_class=f"{HERE}:DemoSettings",
    )
    base.update(kw)
    return Integration(**base)


def test_every_integration_is_fully_described() -> None:
    assert [i.name for i in INTEGRATIONS] == [
        "easyappointments",
        "eventbrite",
        "zoom",
        "poshvip",
        "brevo",
        "claude",
    ]
    for i in INTEGRATIONS:
        for field in (
            "title",
            "category",
            "type",
            "auth_method",
            "rate_limits",
            "setup_difficulty",
            "pricing_model",
            "docs_url",
        ):
            assert getattr(i, field), (i.name, field)
        assert i.capabilities and i.required_settings and len(i.setup_guide) >= 4
        assert i.client_factory or i.no_api_note
    assert "meeting:read:admin" in get_integration("Zoom").oauth_scopes
    with pytest.raises(KeyError, match="known: easyappointments"):
        get_integration("hubspot")


def test_configured_means_one_alternative_fully_set() -> None:
    ea = get_integration("easyappointments")
    assert missing_settings(ea, {}) == ["EASYAPPOINTMENTS_URL", "EASYAPPOINTMENTS_API_TOKEN"]
    assert missing_settings(ea, {"EASYAPPOINTMENTS_URL": "u", "EASYAPPOINTMENTS_API_TOKEN": " "}) == [
        "EASYAPPOINTMENTS_API_TOKEN"
    ]
    basic = {
        "EASYAPPOINTMENTS_URL": "u",
        "EASYAPPOINTMENTS_ADMIN_USER": "a",
        "EASYAPPOINTMENTS_ADMIN_PASSWORD": "p",
    }
    assert missing_settings(ea, basic) == []


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("DEMO_API_KEY", "good")
    yield monkeypatch


async def test_check_outcomes(demo_env: pytest.MonkeyPatch) -> None:
    before = DemoClient.closed
    ok = await check_integration(demo())
    assert (ok.status, ok.detail) == (CheckStatus.OK, "connection works") and DemoClient.closed == before + 1

    demo_env.setenv("DEMO_API_KEY", "wrong-key-123")
    bad = await check_integration(demo())
    assert bad.status is CheckStatus.FAILING and "401" in bad.detail and "AuthenticationError" in bad.detail
    assert "wrong-key-123" not in bad.line()

    demo_env.setenv("DEMO_API_KEY", "slow")
    slow = await check_integration(demo(), seconds=0.2)
    assert (slow.status, slow.detail) == (CheckStatus.FAILING, "no answer within 0.2 s")

    demo_env.setenv("DEMO_PORT", "not-a-port-secret")
    invalid = await check_integration(demo())
    assert (
        invalid.status is CheckStatus.FAILING
        and "port" in invalid.detail
        and "not-a-port-secret" not in invalid.detail
    )

    demo_env.delenv("DEMO_API_KEY")
    assert (await check_integration(demo())).line().split() == [
        "demo",
        "not",
        "configured",
        "set",
        "DEMO_API_KEY",
    ]


async def test_missing_connectors_are_not_available_not_crashes(demo_env: pytest.MonkeyPatch) -> None:
    gone = await check_integration(demo(client_factory="connectors.nowhere:Client", settings_class=None))
    assert gone.status is CheckStatus.NOT_AVAILABLE and "nowhere" in gone.detail
    no_test = await check_integration(demo(client_factory=f"{HERE}:NoTest", settings_class=None))
    assert (no_test.status, no_test.detail) == (CheckStatus.NOT_AVAILABLE, "NoTest has no test_connection()")
    webhook = await check_integration(get_integration("poshvip"), env={"POSHVIP_WEBHOOK_SECRET": "s"})
    assert webhook.status is CheckStatus.OK and "no pull API" in webhook.detail


def _available(i: Integration) -> bool:
    module = (i.client_factory or "").partition(":")[0]
    return not module or importlib.util.find_spec(module) is not None


def _forget_cached_tokens() -> None:
    if importlib.util.find_spec("connectors.zoom") is not None:
        from connectors.zoom import clear_token_cache

        clear_token_cache()


async def test_check_against_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the sandbox serves is ok; one wrong credential is named with the reason."""
    from sandbox.framework import TWINS, RunningSandbox, load_twin, new_context

    twins = {s for s in TWINS if load_twin(s) is not None}
    served = {
        "easyappointments": "easyappointments",
        "eventbrite": "eventbrite",
        "zoom": "zoom",
        "brevo": "brevo",
        "claude": "anthropic",
    }
    testable = [i for i in INTEGRATIONS if i.client_factory and _available(i) and served.get(i.name) in twins]
    if not testable:
        pytest.skip("no connector with a sandbox twin is available yet")
    with RunningSandbox(new_context(scale=50)) as sandbox:
        for key, value in sandbox.env.items():
            monkeypatch.setenv(key, value)
        results = {r.name: r for r in await check_all(seconds=20)}
        for i in testable:
            assert results[i.name].status is CheckStatus.OK, results[i.name].line()
        for wrong in testable:
            secret = next(
                v
                for g in wrong.required_settings
                for v in g
                if any(w in v for w in ("TOKEN", "KEY", "SECRET"))
            )
            monkeypatch.setenv(secret, "definitely-wrong")
            _forget_cached_tokens()  # Zoom caches its OAuth token per account and client id, per process
            results = {r.name: r for r in await check_all(seconds=20)}
            monkeypatch.setenv(secret, sandbox.env[secret])
            failing = [r for r in results.values() if r.status is CheckStatus.FAILING]
            assert [r.name for r in failing] == [wrong.name], secret
            assert "AuthenticationError" in failing[0].detail and "definitely-wrong" not in failing[0].detail
