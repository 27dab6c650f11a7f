"""Every setting of the project: its environment variable, default and meaning (``engarde config``)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import SecretStr
from pydantic_settings import BaseSettings

#: The settings classes, in the order README documents them.
SETTINGS_CLASSES: tuple[str, ...] = (
    "store.db:DatabaseSettings",
    "connectors.easyappointments:EasyAppointmentsSettings",
    "connectors.eventbrite:EventbriteSettings",
    "tasks.eventbrite:EventbriteRunSettings",
    "connectors.zoom:ZoomSettings",
    "connectors.brevo:BrevoSettings",
    "connectors.claude:ClaudeSettings",
    "webhooks.settings:ReceiverSettings",
    "flows.audience_sync:AudienceSettings",
    "tasks.run_locks:LockSettings",
    "flows.poshvip_events:PoshvipFlowSettings",
    "tasks.signups:InvitationSettings",
    "store.platform_users:PlatformUsersSettings",
)


@dataclass(frozen=True)
class Setting:
    """One environment variable."""

    group: str
    name: str
    default: str
    secret: bool
    description: str


def _load(target: str) -> type[BaseSettings]:
    module, _, attr = target.partition(":")
    cls: type[BaseSettings] = getattr(importlib.import_module(module), attr)
    return cls


def iter_all_settings() -> Iterator[Setting]:
    """Every field of every settings class as the variable that sets it, repeats included."""
    for target in SETTINGS_CLASSES:
        cls = _load(target)
        prefix = str(cls.model_config.get("env_prefix") or "")
        for field_name, field in cls.model_fields.items():
            name = (field.alias or f"{prefix}{field_name}").upper()
            secret = field.annotation is SecretStr or "SecretStr" in str(field.annotation)
            default = "" if field.is_required() else repr(field.get_default(call_default_factory=True))
            description = (field.description or "").strip()
            yield Setting(cls.__name__, name, default, secret, description)


def iter_settings() -> Iterator[Setting]:
    """Every variable once, under the first settings class that reads it."""
    seen: set[str] = set()
    for setting in iter_all_settings():
        if setting.name not in seen:
            seen.add(setting.name)
            yield setting


def render_markdown() -> str:
    """The settings as a markdown table per settings class."""
    lines: list[str] = []
    group = None
    for s in iter_settings():
        if s.group != group:
            group = s.group
            lines += ["", f"**{group}**", "", "| variable | default | meaning |", "|---|---|---|"]
        default = "(required)" if s.default == "" else f"`{s.default}`"
        lines.append(f"| `{s.name}` | {default} | {s.description}{' (secret)' if s.secret else ''} |")
    return "\n".join(lines).strip() + "\n"


def current_values() -> list[tuple[str, str]]:
    """Each variable and its value in this environment (secrets masked)."""
    out = []
    for s in iter_settings():
        value = os.environ.get(s.name)
        shown = "(unset)" if value is None else ("****" if s.secret else value)
        out.append((s.name, shown))
    return out
