"""Settings checked once, before a run touches anything: every missing or invalid variable at once.

A flow calls :func:`require_settings` with the integrations it will use (after
:func:`tasks.secrets.resolve_secret_blocks` has filled secrets from Prefect Secret blocks).
Order of checks, per integration:

1. the required variables of the integration's closest alternative (the registry's
   ``required_settings``) are set: a missing one is named, with its Secret block when it is a secret;
2. its settings class builds from the environment: an invalid value is named by its variable,
   never echoed (it may be a secret).

Everything found is raised as one :class:`SettingsError` whose message is the sentence an admin
reads on the terminal and in the Prefect UI.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from connectors.registry import get_integration, missing_settings
from tasks.secrets import SECRET_WORDS, block_name

#: integration -> its settings class (``module:Class``); built to catch invalid values.
SETTINGS_CLASSES: dict[str, str] = {
    "easyappointments": "connectors.easyappointments:EasyAppointmentsSettings",
    "eventbrite": "connectors.eventbrite:EventbriteSettings",
    "zoom": "connectors.zoom:ZoomSettings",
    "brevo": "connectors.brevo:BrevoSettings",
    "claude": "connectors.claude:ClaudeSettings",
}

#: Integrations whose required variables may legitimately be absent from the environment
#: (Eventbrite: the token stored by ``engarde eventbrite exchange`` is found at run time).
OPTIONAL_REQUIRED = frozenset({"eventbrite"})

SANDBOX_HINT = "or run against the sandbox (`engarde sandbox`)"


class SettingsError(RuntimeError):
    """Settings a run needs are missing or invalid; the message names every variable and what to do."""


def _is_secret(variable: str) -> bool:
    return any(word in variable for word in SECRET_WORDS)


def _settings_class(target: str) -> type[BaseSettings]:
    module, _, attr = target.partition(":")
    cls: type[BaseSettings] = getattr(importlib.import_module(module), attr)
    return cls


def variable_of(cls: type[BaseSettings], field_name: str) -> str:
    """The environment variable that sets ``field_name`` of the settings class ``cls``."""
    field = cls.model_fields.get(field_name)
    prefix = str(cls.model_config.get("env_prefix") or "")
    alias = field.alias if field is not None else None
    return (alias or f"{prefix}{field_name}").upper()


def invalid_variables(cls: type[BaseSettings], exc: ValidationError) -> tuple[list[str], list[str]]:
    """``(missing, invalid)`` variables of a settings class's validation error; invalid ones as
    ``VAR (reason)`` without the value."""
    missing, invalid = [], []
    for error in exc.errors():
        loc = error.get("loc") or ()
        name = variable_of(cls, str(loc[0])) if loc else cls.__name__
        if error.get("type") == "missing":
            missing.append(name)
        else:
            invalid.append(f"{name} ({error.get('msg', 'invalid')})")
    return missing, invalid


def settings_sentence(missing: Iterable[str], invalid: Iterable[str] = ()) -> str:
    """The admin's sentence for missing and invalid variables (empty lists: empty string)."""
    missing, invalid = sorted(dict.fromkeys(missing)), list(dict.fromkeys(invalid))
    parts = []
    if missing:
        blocks = [f"`{block_name(v)}`" for v in missing if _is_secret(v)]
        stored = (
            f", store {'it' if len(missing) == 1 else 'the secrets'} as the Secret "
            f"block{'s' if len(blocks) > 1 else ''} {', '.join(blocks)}"
            if blocks
            else ""
        )
        verb = "is" if len(missing) == 1 else "are"
        them = "it" if len(missing) == 1 else "them"
        parts.append(f"{', '.join(missing)} {verb} not set: set {them}{stored}, {SANDBOX_HINT}.")
    if invalid:
        parts.append(f"Invalid setting{'s' if len(invalid) > 1 else ''}: {'; '.join(invalid)}.")
    return " ".join(parts)


def settings_problems(
    integrations: Iterable[str], env: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """``(missing, invalid)`` variables of every named integration, all of them."""
    missing: list[str] = []
    invalid: list[str] = []
    for name in integrations:
        if name not in OPTIONAL_REQUIRED:
            missing += missing_settings(get_integration(name), env)
        target = SETTINGS_CLASSES.get(name)
        if target is None:
            continue
        cls = _settings_class(target)
        try:
            cls()
        except ValidationError as exc:
            more_missing, more_invalid = invalid_variables(cls, exc)
            missing += more_missing
            invalid += more_invalid
    return missing, invalid


def require_settings(*integrations: str) -> None:
    """Raise :class:`SettingsError` naming every missing or invalid variable of ``integrations``."""
    missing, invalid = settings_problems(integrations, os.environ)
    if missing or invalid:
        raise SettingsError(settings_sentence(missing, invalid))
