"""The logger of the current Prefect run, or a plain module logger outside one.

Tasks are also called as ``.fn()`` (tests, scripts, the CLI) and helpers run outside any flow
(the run locks of a process); there ``get_run_logger`` raises, and the module's logger is used.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import get_run_logger
from prefect.exceptions import MissingContextError


def run_logger(name: str) -> logging.Logger | logging.LoggerAdapter[Any]:
    """The run logger inside a flow or task run; the logger ``name`` (a module's ``__name__``) outside one."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(name)
