"""Secret blocks fill unset secret settings inside a flow run."""

from __future__ import annotations

import os

import pytest
from prefect import flow
from prefect.blocks.system import Secret

from tasks.secrets import block_name, resolve_secret_blocks, secret_variables


def test_every_integration_secret_has_a_block_name() -> None:
    names = secret_variables()
    assert {"BREVO_API_KEY", "ANTHROPIC_API_KEY", "POSHVIP_WEBHOOK_SECRET", "ZOOM_CLIENT_SECRET"} <= set(
        names
    )
    assert block_name("BREVO_API_KEY") == "brevo-api-key"


async def test_a_secret_block_fills_an_unset_variable_in_an_async_flow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in secret_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-the-environment")
    await Secret(value="xkeysib-from-a-block").save("brevo-api-key", overwrite=True)
    await Secret(value="should-not-win").save("anthropic-api-key", overwrite=True)

    @flow
    async def uses_secrets() -> list[str]:
        return resolve_secret_blocks()

    try:
        filled = await uses_secrets()
        assert filled == ["BREVO_API_KEY"]
        assert os.environ["BREVO_API_KEY"] == "xkeysib-from-a-block"
        assert os.environ["ANTHROPIC_API_KEY"] == "from-the-environment"
    finally:
        # Other tests of this session must not find these blocks.
        await Secret.adelete("brevo-api-key")
        await Secret.adelete("anthropic-api-key")
        monkeypatch.delenv("BREVO_API_KEY", raising=False)
