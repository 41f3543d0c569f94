"""Bulk inserts of plain rows: PostgreSQL `COPY` in the session's transaction.

    insert_rows(session, PayoutLine, rows)  # rows: dicts keyed by column name

On PostgreSQL the rows go through psycopg 3's `COPY ... FROM STDIN` on the session's own
connection (the same transaction, rolled back with it); elsewhere (SQLite) it is
`session.execute(insert(table), rows)`. Either way the values stored are the ones
`insert()` would store.

Why COPY, and what exactly it stores: docs/payout-runs.md, "Performance" (the write path).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Any, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert `rows` (dicts keyed by column name, all with the same keys) into `table`.

    `table`: a mapped class (its attributes named as its columns, as in models/) or a
    `Table`. Returns the number of rows. Nothing is returned per row (no ids): callers
    that need them read them back.
    """
    if not rows:
        return 0  # insert() with an empty list would insert one row of defaults
    target: Table = getattr(table, "__table__", table)
    keys = list(rows[0])
    unknown = [k for k in keys if k not in target.c]
    if unknown:
        raise ValueError(f"{target.name} has no column(s) {', '.join(unknown)}")
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return len(rows)
    if session.autoflush:
        session.flush()  # as session.execute would: pending parents (the run) first
    conn = session.connection()
    dialect = conn.dialect
    columns = [target.c[k] for k in keys]
    # Columns the rows leave out but insert() would fill in Python (default=...).
    defaults = [
        c
        for c in target.columns
        if c.key not in keys and c.default is not None and not c.default.is_sequence
    ]
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    default_processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in defaults]
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in (*columns, *defaults))
    sql = f"COPY {dialect.identifier_preparer.format_table(target)} ({names}) FROM STDIN"
    dbapi_error = dialect.loaded_dbapi.Error
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                values = [
                    proc(row[k]) if proc is not None else row[k]
                    for k, proc in zip(keys, processors, strict=True)
                ]
                for column, proc in zip(defaults, default_processors, strict=True):
                    value = _default(column)
                    values.append(proc(value) if proc is not None else value)
                copy.write_row(values)
    except dbapi_error as exc:
        # The driver's error as SQLAlchemy's (IntegrityError, ...), as insert() raises it.
        raise DBAPIError.instance(sql, None, exc, dbapi_error, dialect=dialect) from exc
    finally:
        cursor.close()
    return len(rows)


def _default(column) -> Any:
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        # SQLAlchemy wraps zero-argument callables to take the execution context; the
        # callables of models/ (utcnow, dict, list) do not use it.
        return default.arg(None)
    raise ValueError(f"{column.table.name}.{column.name}: a SQL default; pass the value")
