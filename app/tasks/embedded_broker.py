"""The embedded broker (`sqla+sqlite:///...`): kombu's SQLAlchemy transport, made safe
for two processes that open one broker file at the same moment.

kombu 5.7's transport guards creating its tables and a queue's row with a lock inside
one process only. When the web process publishes while a worker starts, both may create
the `celery` queue's row; the second insert fails with IntegrityError (which kombu does
not catch) and the worker exits. Here a lost race is rolled back and the row the other
process created is read. `register()` makes the `sqla` scheme use this transport; it
changes nothing else. Why not a fork or another broker: docs/decisions.md.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy.exc import IntegrityError, OperationalError

ATTEMPTS = 5


class Channel(kombu_sqla.Channel):
    def _open(self):
        """Open the engine and create the tables; a process that loses the race to create
        them ("table ... already exists") tries again and finds them."""
        for attempt in range(ATTEMPTS):
            try:
                return super()._open()
            except OperationalError:
                if attempt == ATTEMPTS - 1:
                    raise

    def _get_or_create(self, queue):
        """The queue's row, created if missing; another process's insert wins a race."""
        session = self.session
        for attempt in range(ATTEMPTS):
            row = session.query(self.queue_cls).filter(self.queue_cls.name == queue).first()
            if row is not None:
                return row
            with kombu_sqla._MUTEX:
                row = self.queue_cls(queue)
                session.add(row)
                try:
                    session.commit()
                    return row
                except (IntegrityError, OperationalError):
                    session.rollback()
                    if attempt == ATTEMPTS - 1:
                        raise


class Transport(kombu_sqla.Transport):
    Channel = Channel


def register() -> None:
    """Route kombu's `sqla` and `sqlalchemy` schemes to this transport."""
    for scheme in ("sqla", "sqlalchemy"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
