"""The settings reference (``engarde config``): every variable documented, no conflicting defaults."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from deployments.config_doc import (
    SETTINGS_CLASSES,
    Setting,
    iter_all_settings,
    iter_settings,
    render_markdown,
)
from store.db import DatabaseSettings, make_engine, normalise_url
from webhooks.settings import ReceiverSettings

#: Variables one class leaves unset (``None``) on purpose because its code then uses the other
#: class's default: (variable, class with the ``None`` default) -> class whose default applies.
FALLBACKS: dict[tuple[str, str], str] = {
    ("DATABASE_URL", "ReceiverSettings"): "DatabaseSettings",
}


@pytest.fixture(scope="module")
def all_settings() -> list[Setting]:
    return list(iter_all_settings())


def test_every_class_is_listed_and_loads(all_settings: list[Setting]) -> None:
    groups = {s.group for s in all_settings}
    assert groups == {target.partition(":")[2] for target in SETTINGS_CLASSES}


def test_every_setting_has_a_description(all_settings: list[Setting]) -> None:
    missing = [f"{s.group}.{s.name}" for s in all_settings if not s.description]
    assert missing == []


def test_descriptions_do_not_repeat_the_variable_name(all_settings: list[Setting]) -> None:
    """The table already shows the variable: a description never names its own variable."""
    redundant = [f"{s.group}.{s.name}" for s in all_settings if s.name in s.description]
    assert redundant == []


def test_no_variable_has_two_different_defaults(all_settings: list[Setting]) -> None:
    by_name: dict[str, list[Setting]] = defaultdict(list)
    for s in all_settings:
        by_name[s.name].append(s)
    conflicts = []
    for name, defs in by_name.items():
        first = defs[0]
        for other in defs[1:]:
            if other.default == first.default:
                continue
            if other.default == "None" and FALLBACKS.get((name, other.group)) == first.group:
                continue
            if first.default == "None" and FALLBACKS.get((name, first.group)) == other.group:
                continue
            conflicts.append(f"{name}: {first.group}={first.default} vs {other.group}={other.default}")
    assert conflicts == []
    # Every declared fallback still names a variable that really is defined twice.
    for (name, group), target in FALLBACKS.items():
        assert {group, target} <= {s.group for s in by_name[name]}, name


def test_receiver_database_url_falls_back_to_the_project_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The one allowed difference: the receiver's unset DATABASE_URL is the project database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert ReceiverSettings(poshvip_webhook_secret="s").database_url is None
    engine = make_engine(ReceiverSettings(poshvip_webhook_secret="s").database_url)
    try:
        assert engine.url.render_as_string() == normalise_url(DatabaseSettings().database_url)
    finally:
        engine.dispose()


def test_table_shows_each_variable_once_with_its_meaning() -> None:
    shown = list(iter_settings())
    names = [s.name for s in shown]
    assert len(names) == len(set(names))
    table = render_markdown()
    for s in shown:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{s.name}` |"))
        assert s.description in row
    assert "| `ZOOM_REPORTS` |" in table


def test_engarde_config_reads_the_same_variables_as_the_classes_define() -> None:
    from deployments.config_doc import read_variables

    assert list(read_variables()) == [(s.name, s.secret) for s in iter_settings()]
