"""The sentences of failures an admin can fix (pure: no Prefect run)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from connectors.http import ClientError, RateLimitError
from tasks.failures import exit_code, explain
from tasks.preflight import SettingsError, require_settings, settings_sentence


def test_a_rate_limit_that_outlasted_the_budget_says_to_run_again_later() -> None:
    exc = RateLimitError(
        "rate limit reached", provider="eventbrite", method="GET", path="/events/", status=429
    )
    sentence = explain(exc)
    assert sentence is not None and sentence.startswith("Eventbrite's rate limit outlasted")
    assert "Run again later" in sentence and exit_code(exc) == 1


def test_a_refused_request_is_a_bug_not_the_admin_s() -> None:
    assert explain(ClientError("bad field", provider="brevo", method="POST", path="/contacts")) is None
    assert explain(KeyError("x")) is None


def test_every_missing_variable_at_once_with_its_secret_block(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BREVO_API_KEY", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError) as caught:
        require_settings("brevo", "zoom")
    sentence = str(caught.value)
    for name in ("BREVO_API_KEY", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        assert name in sentence
    assert "`brevo-api-key`" in sentence and "`zoom-client-secret`" in sentence
    assert "`zoom-account-id`" not in sentence  # not a secret: no block for it
    assert explain(caught.value) == sentence and exit_code(caught.value) == 2


def test_an_invalid_value_is_named_by_its_variable_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EASYAPPOINTMENTS_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("EASYAPPOINTMENTS_API_TOKEN", "t")
    monkeypatch.setenv("EASYAPPOINTMENTS_PAGE_LENGTH", "lots-of-them")
    with pytest.raises(SettingsError, match="EASYAPPOINTMENTS_PAGE_LENGTH") as caught:
        require_settings("easyappointments")
    assert "lots-of-them" not in str(caught.value)


def test_a_settings_class_failing_later_is_still_named_by_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from connectors.brevo import BrevoSettings

    monkeypatch.delenv("BREVO_API_KEY", raising=False)
    with pytest.raises(ValidationError) as caught:
        BrevoSettings()
    assert explain(caught.value) == settings_sentence(["BREVO_API_KEY"])


def test_an_unreachable_database_names_database_url() -> None:
    engine = create_engine("sqlite:////nonexistent-dir/never/engarde.db")
    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        conn.execute(text("select 1"))
    sentence = explain(caught.value)
    assert sentence is not None and "DATABASE_URL" in sentence and "select 1" not in sentence
