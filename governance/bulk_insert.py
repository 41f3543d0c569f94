"""Bulk inserts of plain rows: PostgreSQL `COPY` in the session's transaction.

    insert_rows(session, PayoutLine, rows)  # rows: dicts keyed by column name

On PostgreSQL the rows go through psycopg 3's `COPY ... FROM STDIN` on the session's own
connection (the same transaction, rolled back with it); elsewhere (SQLite) it is
`session.execute(insert(table), rows)`. Either way the values stored are the ones
`insert()` would store.

    with CopySender(session) as sender:   # PostgreSQL: rows sent while the caller goes on
        sender.send(table, rows)           # formatted here, sent by the sender's thread
        ...                                # compute; a statement run now waits for the COPY

Why COPY, and what exactly it stores: docs/payout-runs.md, "Performance" (the write path);
why a thread sends: docs/decisions.md, "Lines sent while the next batch is evaluated".
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from psycopg import Copy
from psycopg.copy import FileWriter
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
    target: Table = getattr(table, "__table__", table)
    _check_columns(target, rows, same)
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), [{**row, **same} for row in rows] if same else rows)
        return len(rows)
    sql, values = _copy_rows(session, target, rows, same)
    conn = session.connection()
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _as_sqlalchemy(exc, sql, conn.dialect) from exc
    finally:
        cursor.close()
    return len(rows)


class CopySender:
    """PostgreSQL COPYs sent by a thread while the caller goes on computing (elsewhere,
    `send` is `insert_rows`).

    `send` formats the rows here (the same values `insert_rows` sends) and hands the text
    to a thread that pushes it down the session's connection and waits for PostgreSQL to
    insert it (heap, indexes, foreign keys): the server's part of the write overlaps
    the caller's next computation. psycopg serialises a connection's use, so a statement
    the caller runs meanwhile waits for the COPY to end. At most one COPY is in flight:
    `send` and `wait` first wait for the previous one, and re-raise its error (as
    SQLAlchemy's, like `insert_rows`). Leaving the `with` block waits too; an error
    of the COPY wins over the one that left the block (it is the cause: a failed COPY
    fails every later statement of the transaction).
    """

    def __init__(self, session: Session):
        self.session = session
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._sql = ""

    def __enter__(self) -> CopySender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wait()

    def send(
        self,
        table: Any,
        rows: Sequence[Mapping[str, Any]],
        *,
        same: Mapping[str, Any] | None = None,
    ) -> int:
        """Insert `rows` as `insert_rows` does, sent in the background on PostgreSQL (at
        once elsewhere); returns how many."""
        self.wait()
        if not rows or self.session.get_bind().dialect.name != "postgresql":
            return insert_rows(self.session, table, rows, same=same)
        target: Table = getattr(table, "__table__", table)
        _check_columns(target, rows, same)
        sql, values = _copy_rows(self.session, target, rows, same)
        driver = self.session.connection().connection.driver_connection
        buffer = io.BytesIO()
        cursor = driver.cursor()
        try:
            with Copy(cursor, binary=False, writer=FileWriter(buffer)) as formatter:
                for row in values:
                    formatter.write_row(row)
        finally:
            cursor.close()
        self._sql = sql
        self._thread = threading.Thread(
            target=self._copy, args=(driver, sql, buffer.getbuffer()), name="copy-sender"
        )
        self._thread.start()
        return len(rows)

    def _copy(self, driver: Any, sql: str, data: memoryview) -> None:
        try:
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                copy.write(data)
        except BaseException as exc:  # re-raised by wait(), in the caller's thread
            self._error = exc

    def wait(self) -> None:
        """Wait for the COPY in flight (if any); re-raise its error."""
        if self._thread is None:
            return
        self._thread.join()
        self._thread = None
        error, self._error = self._error, None
        if error is not None:
            dialect = self.session.get_bind().dialect
            if isinstance(error, dialect.loaded_dbapi.Error):
                raise _as_sqlalchemy(error, self._sql, dialect) from error
            raise error


def _check_columns(target: Table, rows: Sequence[Mapping[str, Any]], same: Mapping | None) -> None:
    unknown = [k for k in (*rows[0], *(same or {})) if k not in target.c]
    if unknown:
        raise ValueError(f"{target.name} has no column(s) {', '.join(unknown)}")


def _copy_rows(
    session: Session, target: Table, rows: Sequence[Mapping[str, Any]], same: Mapping | None
) -> tuple[str, Iterator[list[Any]]]:
    """The COPY statement for `rows` and their values in its column order, each through
    its column's bind processor, with the columns' Python defaults filled in as
    `insert()` would."""
    same = dict(same or {})
    if session.autoflush:
        session.flush()  # as session.execute would: pending parents (the run) first
    dialect = session.get_bind().dialect
    keys = list(rows[0])
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

    def values() -> Iterator[list[Any]]:
        for row in rows:
            out = [row[k] for k in keys]
            for i, proc in processors:
                out[i] = proc(out[i])
            out += constants
            for column, proc in filled:  # fresh each row: a callable default (dict...)
                value = _default(column)
                out.append(value if proc is None else proc(value))
            yield out

    return sql, values()


def _as_sqlalchemy(exc: Exception, sql: str, dialect: Any) -> DBAPIError:
    """The driver's error as SQLAlchemy's (IntegrityError, ...), as insert() raises it."""
    return DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error, dialect=dialect)


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
