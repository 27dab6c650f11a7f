"""Prefect tasks. Importing them routes every connector's budget through Prefect limits when a
Prefect API server is configured (see tasks/budgets.py); connectors never import Prefect."""

from tasks.budgets import use_prefect_budgets

use_prefect_budgets()
