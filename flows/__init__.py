"""Prefect flows: each a short list of named steps over tasks.

Flows import tasks (and the plain types of ``audience`` / ``insights``), never ``store`` or
``connectors``: reading and writing the database, calling an outside API and explaining a
failure are tasks' business (``tasks.*``). Tasks reach the database one way,
``store.db.session_scope()`` (or ``store.db.default_engine()``) on ``DATABASE_URL``.
"""
