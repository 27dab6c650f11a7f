"""The logger of the current Prefect run, or a plain module logger outside one.

Tasks are also called as ``.fn()`` (tests, scripts, the CLI) and helpers run outside any flow
(the run locks of a process); there ``get_run_logger`` raises, and the module's logger is used.
"""

from __future__ import annotations

import logging
from typing import Any


def run_logger(name: str) -> logging.Logger | logging.LoggerAdapter[Any]:
    """The run logger inside a flow or task run; the logger ``name`` (a module's ``__name__``) outside one."""
    # Imported on first use: importing ``tasks`` (as the CLI's commands that run no flow do) must
    # not import Prefect (2 s); inside a run Prefect is already loaded and this is a dict look-up.
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(name)
