"""Failures whose cause is outside the code, told as one sentence an admin can act on.

:func:`explain` turns such an exception into that sentence (None for anything else: a bug keeps
its traceback). Order of checks, and why:

1. settings (:class:`tasks.preflight.SettingsError`, or a settings class's validation error
   that escaped the up-front check): the variables to set;
2. the database: never migrated (the command that fixes it) or unreachable (``DATABASE_URL``);
3. parameters: Prefect's parameter validation, or :class:`ParameterError` raised by a flow;
4. outside services: wrong credentials, unreachable or failing after every retry, a rate limit
   that outlasted the run's retry budget, a configured id that does not exist. A service that
   refuses a request as malformed (other 4xx) or answers off-contract is a bug, not the admin's.

:func:`explains_failures` wraps a flow function so that such a failure ends the run in a
``Failed`` state whose message is the sentence, logged first as the run's error line; the
log filter it installs keeps tracebacks of explained failures out of every log (terminal and
Prefect API) unless ``ENGARDE_DEBUG=1``. Nothing here imports Prefect until a flow fails.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from connectors.http import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

F = TypeVar("F", bound=Callable[..., Any])

#: provider (as connectors name it) -> (title, variable of its address, variables of its credentials)
SERVICES: dict[str, tuple[str, str, str]] = {
    "easyappointments": (
        "EasyAppointments",
        "EASYAPPOINTMENTS_URL",
        "EASYAPPOINTMENTS_API_TOKEN (or EASYAPPOINTMENTS_ADMIN_USER / EASYAPPOINTMENTS_ADMIN_PASSWORD)",
    ),
    "eventbrite": ("Eventbrite", "EVENTBRITE_API_URL", "EVENTBRITE_OAUTH_TOKEN"),
    "zoom": ("Zoom", "ZOOM_API_URL", "ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"),
    "brevo": ("Brevo", "BREVO_API_URL", "BREVO_API_KEY"),
    "anthropic": ("Anthropic (Claude)", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
}

#: Exit codes of the CLI: the admin must change something first / a service failed.
EXIT_SETTINGS = 2
EXIT_SERVICE = 1


class ParameterError(ValueError):
    """A flow parameter is out of range or inconsistent; the message says which and why."""


def debug_enabled() -> bool:
    """``ENGARDE_DEBUG=1`` (or ``engarde --debug``): show tracebacks of explained failures too."""
    return os.environ.get("ENGARDE_DEBUG", "").strip().lower() in ("1", "true", "yes")


def _service(provider: str) -> tuple[str, str, str]:
    return SERVICES.get(provider, (provider, "its URL setting", "its credentials"))


def _connector_sentence(exc: BaseException, provider: str) -> str | None:
    title, url_var, credentials = _service(provider)
    if isinstance(exc, AuthenticationError) or type(exc).__name__ == "ClaudeAuthenticationError":
        return f"{title} refused the credentials ({exc}). Check {credentials}."
    if isinstance(exc, RateLimitError) or type(exc).__name__ in ("ClaudeRateLimitError", "SpendLimitError"):
        return (
            f"{title}'s rate limit outlasted this run's retry budget ({exc}). "
            "Run again later: the next run continues where this one stopped."
        )
    if isinstance(exc, ServerError) or type(exc).__name__ == "ClaudeUnavailableError":
        return f"{title} is unreachable or failing ({exc}). Check {url_var} and that the service is up."
    if isinstance(exc, NotFoundError):
        return f"{title} does not have what the settings point at ({exc}). Check the ids configured for it."
    return None


def _database_sentence(exc: BaseException) -> str | None:
    from store.db import DatabaseNotMigrated

    if isinstance(exc, DatabaseNotMigrated):
        return str(exc)
    if type(exc).__name__ == "OperationalError" and type(exc).__module__.startswith("sqlalchemy"):
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"The database cannot be reached ({cause}). Check DATABASE_URL and that the server is up."
    return None


def _settings_classes(base: type) -> list[type]:
    subclasses: list[type] = base.__subclasses__()
    return [base, *(c for sub in subclasses for c in _settings_classes(sub))]


def _settings_sentence(exc: BaseException) -> str | None:
    from pydantic import ValidationError
    from pydantic_settings import BaseSettings

    from tasks.preflight import SettingsError, invalid_variables, settings_sentence

    if isinstance(exc, SettingsError):
        return str(exc)
    if isinstance(exc, ValidationError):
        # A settings class that escaped the up-front check: it is imported, so it is a subclass.
        for cls in _settings_classes(BaseSettings):
            if cls.__name__ == exc.title and cls is not BaseSettings:
                return settings_sentence(*invalid_variables(cls, exc))
    return None


def explain(exc: BaseException) -> str | None:
    """The admin's sentence for a failure caused outside the code; None for a bug."""
    for check in (_settings_sentence, _database_sentence):
        if (sentence := check(exc)) is not None:
            return sentence
    if isinstance(exc, ParameterError) or (
        type(exc).__name__ == "ParameterTypeError" and type(exc).__module__.startswith("prefect")
    ):
        return "Invalid parameter: " + " ".join(str(exc).split())
    if isinstance(exc, ConnectorError):
        return _connector_sentence(exc, exc.provider)
    if type(exc).__module__.startswith("connectors.claude"):
        return _connector_sentence(exc, "anthropic")
    return None


def exit_code(exc: BaseException) -> int:
    """The CLI's exit code for an explained failure: 2 when a setting, parameter or migration must
    change first, 1 when a service failed."""
    return (
        EXIT_SERVICE
        if isinstance(exc, ConnectorError) or type(exc).__name__.startswith("Claude")
        else EXIT_SETTINGS
    )


# --------------------------------------------------------------------------- logs


class ExplainedFailureFilter(logging.Filter):
    """Rewrites a log record carrying an explained exception: the sentence instead of the traceback,
    at WARNING; a task run's final ``Failed`` line is a WARNING too. The flow's own error line (the
    sentence, or a bug's traceback) is then the run's first error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "engarde_explained", False) or debug_enabled():
            return True
        if record.name.startswith("prefect.task_runs") and str(record.msg).startswith(
            "Finished in state Failed"
        ):
            # The flow decides what the run's error is: its sentence, or a bug's traceback.
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            return True
        if not record.exc_info:
            return True
        exc = record.exc_info[1]
        sentence = explain(exc) if exc is not None else None
        if sentence is None:
            return True
        record.msg, record.args = f"{type(exc).__name__}: {sentence}", ()
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.engarde_explained = True
        return True


def install_log_filter() -> None:
    """Put :class:`ExplainedFailureFilter` on the handlers of Prefect's run loggers and the root (once)."""
    for name in ("", "prefect.flow_runs", "prefect.task_runs"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, ExplainedFailureFilter) for f in handler.filters):
                handler.addFilter(ExplainedFailureFilter())


# --------------------------------------------------------------------------- flows


def _failed_state(exc: Exception, sentence: str) -> Any:
    from prefect import get_run_logger
    from prefect.states import Failed

    get_run_logger().error(
        sentence, exc_info=exc if debug_enabled() else None, extra={"engarde_explained": True}
    )
    return Failed(message=sentence, data=exc)


def explains_failures(fn: F) -> F:
    """Decorate a flow function (under ``@flow``): an explained failure ends the run ``Failed`` with the
    sentence as its state message and first error log line; anything else propagates untouched."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            install_log_filter()
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                if (sentence := explain(exc)) is None:
                    raise
                return _failed_state(exc, sentence)

        return _with_signature(run_async, fn)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        install_log_filter()
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if (sentence := explain(exc)) is None:
                raise
            return _failed_state(exc, sentence)

    return _with_signature(run, fn)


def _with_signature(wrapper: Callable[..., Any], fn: F) -> F:
    # Prefect resolves string annotations in the wrapper's module, where the flow's types are not
    # defined: hand it the signature with the annotations already evaluated in the flow's module.
    wrapper.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
