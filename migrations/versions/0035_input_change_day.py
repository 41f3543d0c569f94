"""The change journal's rows carry the day that decides which periods read them.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 02:00:00

Reviewed by hand. A run of a period reads the deals closed by its end and the events
dated by its end (`engine_input.deals_json`). `input_changes.day` is, for a row written
by the `deals` triggers, the deal's close date (the old row's and the new row's each on
their own journal row: a deal moved out of a period names it too), and for `deal_events`
the event's date. NULL for every other row: any period may read it. The close's re-check
of a locked period skips the rows dated after its end (`changes.changes_since(...,
up_to=...)`), so a change to this quarter's deals no longer makes every locked period
read and hash its people's batches. The triggers of `deals` and `deal_events` are
replaced (revision 0025's shape, with the day); the rows already journaled keep NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

# table -> (kind, deal, participant, day) per changed row `r`, as revision 0025's.
JOURNALED = {
    "deals": ("deal", "r.id", "r.owner_id", "r.close_date"),
    "deal_events": ("deal", "r.deal_id", "NULL", "r.event_date"),
}
EVENTS = (
    ("INSERT", ("new_rows",), ("NEW",)),
    ("UPDATE", ("old_rows", "new_rows"), ("OLD", "NEW")),
    ("DELETE", ("old_rows",), ("OLD",)),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _select(values: tuple[str, ...], source: str) -> str:
    """SELECT the journal row's values over `source` (a transition table, or SQLite's
    NEW / OLD row)."""
    kind, *rest = values
    if source.endswith("_rows"):
        return f"SELECT '{kind}', {', '.join(rest)} FROM {source} r"
    return f"SELECT '{kind}', {', '.join(v.replace('r.', f'{source}.') for v in rest)}"


def _triggers(with_day: bool) -> None:
    """Revision 0025's triggers of `deals` and `deal_events`, writing the day or not."""
    columns = "kind, deal_id, participant_id" + (", day" if with_day else "")
    for table, row in JOURNALED.items():
        values = row if with_day else row[:3]
        for event, tables, rows in EVENTS:
            name = f"{table}_journal_{event.lower()}"
            if _postgresql():
                body = " UNION ".join(_select(values, t) for t in tables)
                op.execute(
                    f"""
                    CREATE OR REPLACE FUNCTION accord_journal_{table}_{event.lower()}()
                    RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO input_changes ({columns}, txid)
                        SELECT c.*, pg_current_xact_id()::text::bigint FROM ({body}) c;
                        RETURN NULL;
                    END
                    $$
                    """
                )
                continue
            inserts = "".join(
                f"INSERT INTO input_changes ({columns}) {_select(values, r)};\n" for r in rows
            )
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN\n{inserts}END"
            )


def upgrade() -> None:
    op.add_column("input_changes", sa.Column("day", sa.Date(), nullable=True))
    _triggers(with_day=True)


def downgrade() -> None:
    _triggers(with_day=False)
    op.drop_column("input_changes", "day")
