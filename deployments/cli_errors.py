"""How the ``engarde`` command ends on a failure an admin can fix: one sentence on stderr, no traceback.

:func:`run_cli` runs the typer app; an exception that :func:`tasks.failures.explain` recognises
(missing setting, unmigrated database, unreachable service, wrong credentials, bad parameter,
exhausted rate limit) is printed as its sentence with a non-zero exit code. ``--debug`` or
``ENGARDE_DEBUG=1`` re-raises it with its traceback; a bug always keeps its traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any


class _QuietExplained(logging.Filter):
    """Console only, under ``engarde run``: the command prints the sentence itself, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "engarde_explained", False):
            return False
        message = record.getMessage()
        return not (
            record.name.startswith(("prefect.flow_runs", "prefect.task_runs"))
            and message.startswith("Finished in state Failed")
        )


def quiet_console() -> None:
    """Keep explained failures and the final ``Failed`` line off the terminal (the API still gets them)."""
    from tasks.failures import install_log_filter

    install_log_filter()
    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "PrefectConsoleHandler" and not any(
            isinstance(f, _QuietExplained) for f in handler.filters
        ):
            handler.addFilter(_QuietExplained())


def validate_parameters(flow: Any, params: dict[str, Any]) -> None:
    """Refuse bad parameter values before a run exists (Prefect's own error log line stays off the
    terminal: the sentence is printed once, by :func:`run_cli`)."""
    logger = logging.getLogger("prefect.flows")
    disabled, logger.disabled = logger.disabled, True
    try:
        flow.validate_parameters(params)
    finally:
        logger.disabled = disabled


def run_cli(app: Callable[[], Any]) -> None:
    """Run ``app``; end with the admin's sentence and exit code on an explained failure."""
    try:
        app()
    except Exception as exc:
        from tasks.failures import debug_enabled, exit_code, explain

        sentence = explain(exc)
        if sentence is None or debug_enabled():
            raise
        print(sentence, file=sys.stderr)
        sys.exit(exit_code(exc))
