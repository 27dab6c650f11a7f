"""Connectors' long waits shown in the Prefect run's log (connectors never import Prefect).

:func:`route_connector_waits` gives the connectors :func:`tasks.run_logger.run_logger` as their run
logger (:func:`connectors.http.waits.log_waits_with`): inside a flow or task run, a wait on a rate
limit or a request budget is announced on the run's page; outside one, on the ``connectors.waits``
logger.
"""

from __future__ import annotations

from functools import partial

from connectors.http import log_waits_with
from tasks.run_logger import run_logger


def route_connector_waits() -> None:
    """Announce the connectors' long waits on the Prefect run's logger when in a run."""
    log_waits_with(partial(run_logger, "connectors.waits"))
