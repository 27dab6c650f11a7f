"""Connectors' long waits shown in the Prefect run's log (connectors never import Prefect).

:func:`route_connector_waits` installs :func:`prefect_run_logger` as the connectors' run logger
(:func:`connectors.http.waits.log_waits_with`): inside a flow or task run, a wait on a rate limit or
a request budget is announced on the run's page; outside one, on the ``connectors.waits`` logger.
"""

from __future__ import annotations

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging import get_run_logger

from connectors.http import log_waits_with


def prefect_run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger] | None:
    """The Prefect run's logger inside a flow or task run, else None."""
    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return None
    return get_run_logger()


def route_connector_waits() -> None:
    """Announce the connectors' long waits on the Prefect run's logger when in a run."""
    log_waits_with(prefect_run_logger)
