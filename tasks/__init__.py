"""Prefect tasks: the units of I/O the flows are made of, and the helpers they share.

Every task reaches the project database one way: ``with store.db.session_scope() as session:``
(no argument: the process-wide engine built once from ``DATABASE_URL``), or
``store.db.default_engine()`` where an engine itself is needed (locks, pandas reads); tests
choose the database with ``DATABASE_URL``. A task's Prefect name is its function's name with
dashes. Shared pieces are written once: :mod:`tasks.run_logger` (the run's logger, or the
module's outside a run), :func:`tasks.extraction.unread_window` (a window a rate limit kept
unread), :mod:`tasks.windows` (which days a run reads, and the look-back's default).

Importing the package routes every connector's budget through Prefect limits when a Prefect
API server is configured (see tasks/budgets.py) and shows the connectors' long waits in the
run's log (tasks/connector_waits.py); connectors never import Prefect.
"""

from tasks.budgets import use_prefect_budgets
from tasks.connector_waits import route_connector_waits

use_prefect_budgets()
route_connector_waits()
