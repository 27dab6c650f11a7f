"""Every setting of the project: its environment variable, default and meaning (``engarde config``)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

#: The settings classes, in the order README documents them.
SETTINGS_CLASSES: tuple[str, ...] = (
    "store.db:DatabaseSettings",
    "connectors.easyappointments:EasyAppointmentsSettings",
    "connectors.eventbrite:EventbriteSettings",
    "connectors.zoom:ZoomSettings",
    "connectors.brevo:BrevoSettings",
    "connectors.claude:ClaudeSettings",
    "connectors.http.waits:WaitSettings",
    "webhooks.settings:ReceiverSettings",
    "webhooks.brevo:BrevoWebhookSettings",
    "flows.audience_sync:AudienceSettings",
    "tasks.run_locks:LockSettings",
    "tasks.admin_notifications:AdminNotificationSettings",
    "tasks.invitations:InvitationSettings",
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
    from pydantic import SecretStr

    from tasks.preflight import variable_of

    for target in SETTINGS_CLASSES:
        cls = _load(target)
        for field_name, field in cls.model_fields.items():
            name = variable_of(cls, field_name)
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


def _prefix(node: ast.ClassDef) -> str:
    for item in node.body:
        if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call):
            for keyword in item.value.keywords:
                if keyword.arg == "env_prefix" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return ""


def _source(module: str) -> Path:
    """The source file of ``module`` without importing it (or its packages: their ``__init__`` may
    import an SDK)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    assert spec is not None and spec.submodule_search_locations, top
    base = Path(next(iter(spec.submodule_search_locations))).joinpath(*rest)
    return base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"


def _class_node(module: str, class_name: str) -> ast.ClassDef:
    """The class's definition, following ``from .x import Class`` re-exports of packages."""
    path = _source(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return node
        if isinstance(node, ast.ImportFrom) and any(a.name == class_name for a in node.names):
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            return _class_node(base, class_name)
    raise LookupError(f"{class_name} not found in {module}")


def read_variables() -> Iterator[tuple[str, bool]]:
    """``(variable, secret)`` of every settings class, read from the source files without importing
    them: ``engarde config`` must answer at once, and the classes' modules import Prefect and pandas."""
    seen: set[str] = set()
    for target in SETTINGS_CLASSES:
        module, _, class_name = target.partition(":")
        node = _class_node(module, class_name)
        prefix = _prefix(node)
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                name = f"{prefix}{item.target.id}".upper()
                if item.target.id != "model_config" and name not in seen:
                    seen.add(name)
                    yield name, "SecretStr" in ast.unparse(item.annotation)


def current_values() -> list[tuple[str, str]]:
    """Each variable and its value in this environment (secrets masked)."""
    out = []
    for name, secret in read_variables():
        value = os.environ.get(name)
        shown = "(unset)" if value is None else ("****" if secret else value)
        out.append((name, shown))
    return out
