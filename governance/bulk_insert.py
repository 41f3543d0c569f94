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


def insert_rows(
    session: Session,
    table: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    same: Mapping[str, Any] | None = None,
) -> int:
    """Insert `rows` (dicts keyed by column name, all with the same keys) into `table`.

    `table`: a mapped class (its attributes named as its columns, as in models/) or a
    `Table`. `same`: columns whose value is the same for every row (a run id), not
    repeated in each row. Returns the number of rows. Nothing is returned per row (no
    ids): callers that need them read them back.
    """
    if not rows:
        return 0  # insert() with an empty list would insert one row of defaults
    same = dict(same or {})
    target: Table = getattr(table, "__table__", table)
    keys = list(rows[0])
    unknown = [k for k in (*keys, *same) if k not in target.c]
    if unknown:
        raise ValueError(f"{target.name} has no column(s) {', '.join(unknown)}")
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), [{**row, **same} for row in rows] if same else rows)
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
        if c.key not in keys
        and c.key not in same
        and c.default is not None
        and not c.default.is_sequence
    ]
    fixed = [target.c[k] for k in same]
    # Each row's values go through their column's bind processor (most have none); the
    # values common to every row are processed once.
    processors = [
        (i, proc) for i, c in enumerate(columns) if (proc := _processor(c, dialect)) is not None
    ]
    constants = [_processed(c, same[c.key], dialect) for c in fixed]
    filled = [(c, _processor(c, dialect)) for c in defaults]
    names = ", ".join(
        dialect.identifier_preparer.quote(c.name) for c in (*columns, *fixed, *defaults)
    )
    sql = f"COPY {dialect.identifier_preparer.format_table(target)} ({names}) FROM STDIN"
    dbapi_error = dialect.loaded_dbapi.Error
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                values = [row[k] for k in keys]
                for i, proc in processors:
                    values[i] = proc(values[i])
                values += constants
                for column, proc in filled:  # fresh each row: a callable default (dict...)
                    value = _default(column)
                    values.append(value if proc is None else proc(value))
                copy.write_row(values)
    except dbapi_error as exc:
        # The driver's error as SQLAlchemy's (IntegrityError, ...), as insert() raises it.
        raise DBAPIError.instance(sql, None, exc, dbapi_error, dialect=dialect) from exc
    finally:
        cursor.close()
    return len(rows)


def _processor(column, dialect) -> Any:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _processed(column, value: Any, dialect) -> Any:
    proc = _processor(column, dialect)
    return value if proc is None else proc(value)


def _default(column) -> Any:
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        # SQLAlchemy wraps zero-argument callables to take the execution context; the
        # callables of models/ (utcnow, dict, list) do not use it.
        return default.arg(None)
    raise ValueError(f"{column.table.name}.{column.name}: a SQL default; pass the value")
