"""Prefect tasks. Importing them routes every connector's budget through Prefect limits when a
Prefect API server is configured (see tasks/budgets.py), and shows the connectors' long waits in the
run's log (tasks/connector_waits.py); connectors never import Prefect."""

from tasks.budgets import use_prefect_budgets
from tasks.connector_waits import route_connector_waits

use_prefect_budgets()
route_connector_waits()
