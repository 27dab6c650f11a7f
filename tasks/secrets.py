"""Secrets from Prefect ``Secret`` blocks, resolved inside a flow run at run time.

A secret setting missing from the environment (e.g. ``BREVO_API_KEY``) is read from the Secret
block of the same name in lower case with dashes (``brevo-api-key``) when one exists; the value
goes into this process's environment only, never into logs or artifacts.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from connectors.registry import INTEGRATIONS

log = logging.getLogger(__name__)


def block_name(variable: str) -> str:
    """The Secret block name for an environment variable: ``BREVO_API_KEY`` -> ``brevo-api-key``."""
    return variable.lower().replace("_", "-")


SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")


def secret_variables() -> list[str]:
    """The secret variables of every integration in the registry."""
    names: list[str] = []
    for integration in INTEGRATIONS:
        for group in integration.required_settings:
            names.extend(group)
        names.extend(integration.optional_settings)
    return sorted({n for n in names if any(word in n for word in SECRET_WORDS)})


def resolve_secret_blocks() -> list[str]:
    """Fill unset secret variables from their Secret blocks; returns the variables filled (names only)."""
    from prefect.blocks.system import Secret

    filled = []
    for name in secret_variables():
        if os.environ.get(name):
            continue
        try:
            block: Any = Secret.load(block_name(name), _sync=True)  # type: ignore[call-arg]
            value = block.get()
        except ValueError:
            continue  # no such block
        except Exception as exc:  # an unreachable API must not hide the real error that follows
            log.warning("could not read Secret block %s: %s", block_name(name), type(exc).__name__)
            continue
        if value:
            os.environ[name] = str(value)
            filled.append(name)
    if filled:
        log.info("secrets read from Prefect Secret blocks: %s", ", ".join(filled))
    return filled
