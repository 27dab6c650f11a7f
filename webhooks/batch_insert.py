"""The writer's insert: the store's statement, compiled once, run on the driver's cursor.

Executed through SQLAlchemy, a batch of a few deliveries cost the writer thread more CPU than
the database's own work (an execution context per batch, the multi-row SQL rendered again for
every batch, result objects), and the writer shares the GIL with every request. So
:class:`BatchInsert` takes :func:`store.webhook_events.insert_statement` (same table, same
``ON CONFLICT (provider, event_key) DO NOTHING``, same ``RETURNING``), compiled once for one
row; a batch of ``n`` rows repeats its ``VALUES`` row ``n`` times (the parameters numbered
per row for ``%(name)s`` drivers), as SQLAlchemy's own "insertmanyvalues" does. Values go
through the column types' own bind processors (the stored text of times and JSON headers is
what SQLAlchemy would store), and the statement runs on the DBAPI cursor of the caller's
connection, inside the caller's transaction. It returns what
:func:`store.webhook_events.insert_deliveries` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam
from sqlalchemy.engine import Dialect

from store.models import WebhookEvent
from store.webhook_events import PENDING, NewDelivery, insert_statement

COLUMNS = ("provider", "event_key", "received_at", "headers", "body", "status")
Processor = Callable[[Any], Any] | None


class BatchInsert:
    """Stores :class:`NewDelivery` rows with one multi-row statement per batch (see the module docstring)."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):  # sqlite3, psycopg
            raise ValueError(f"unsupported DBAPI parameter style {dialect.paramstyle!r}")
        table: Table = WebhookEvent.__table__  # type: ignore[assignment]
        self._processors: list[Processor] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in COLUMNS
        ]
        one_row = {name: bindparam(f"{name}_0", type_=table.c[name].type) for name in COLUMNS}
        compiled = insert_statement(dialect.name).values(one_row).compile(dialect=dialect)
        head, values_kw, rest = compiled.string.partition(" VALUES ")
        self._row, conflict_kw, tail = rest.partition(" ON CONFLICT ")
        if not values_kw or not conflict_kw:
            raise ValueError(f"unexpected insert statement: {compiled.string}")
        self._head, self._tail = head + values_kw, conflict_kw + tail
        self._named = not compiled.positional
        #: for positional drivers, which column each placeholder of a row stands for
        self._order = [COLUMNS.index(name.rsplit("_", 1)[0]) for name in compiled.positiontup or ()]
        self._statements: dict[int, str] = {}

    def _statement(self, count: int) -> str:
        """The SQL for ``count`` rows: the compiled row's placeholders repeated, numbered per row when named."""
        sql = self._statements.get(count)
        if sql is None:
            rows = (self._row.replace("_0)", f"_{i})") if self._named else self._row for i in range(count))
            sql = self._statements[count] = self._head + ", ".join(rows) + self._tail
        return sql

    def _params(self, rows: Sequence[NewDelivery]) -> list[Any] | dict[str, Any]:
        converted = [
            [
                value if process is None else process(value)
                for process, value in zip(
                    self._processors,
                    (row.provider, row.event_key, row.received_at, row.headers, row.body, PENDING),
                    strict=True,
                )
            ]
            for row in rows
        ]
        if self._named:
            return {
                f"{name}_{i}": value
                for i, row in enumerate(converted)
                for name, value in zip(COLUMNS, row, strict=True)
            }
        return [row[column] for row in converted for column in self._order]

    def insert(self, connection: Connection, rows: Sequence[NewDelivery]) -> set[tuple[str, str]]:
        """Store ``rows`` (a key repeated within them once); the (provider, key) pairs that were new."""
        seen: set[tuple[str, str]] = set()
        unique: list[NewDelivery] = []
        for row in rows:
            if (row.provider, row.event_key) not in seen:
                seen.add((row.provider, row.event_key))
                unique.append(row)
        if not unique:
            return set()
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self._statement(len(unique)), self._params(unique))
            return {(str(provider), str(key)) for provider, key in cursor.fetchall()}
        finally:
            cursor.close()
