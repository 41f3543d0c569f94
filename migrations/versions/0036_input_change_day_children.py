"""The change journal dates a deal's splits, team and touchpoints by the deal's close date.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04 06:00:00

Reviewed by hand. Revision 0035 dated the rows of `deals` (the close date, old and new)
and `deal_events` (the event's date), and left the rows of a deal's children NULL: any
period read them, so a split changed on this quarter's deal made every locked period's
re-check read and evaluate its people. Their triggers now write the close date the deal
has when the row is written (`(SELECT close_date FROM deals WHERE id = deal_id)`): a run
of a period reads a deal's children only with the deal, closed by its end. A deal moved
to another period is journaled by its own rows (old and new date), so a child's row need
not follow it; a child deleted with its deal finds no deal and stays NULL (any period
reads it). The date is looked up by primary key, once per journaled row. The rows
already journaled keep NULL.
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

CHILDREN = ("deal_splits", "deal_team_members", "deal_touchpoints")
DAY = "(SELECT d.close_date FROM deals d WHERE d.id = r.deal_id)"
EVENTS = (
    ("INSERT", ("new_rows",), ("NEW",)),
    ("UPDATE", ("old_rows", "new_rows"), ("OLD", "NEW")),
    ("DELETE", ("old_rows",), ("OLD",)),
)


def _select(with_day: bool, source: str) -> str:
    """SELECT the journal row of a child over `source` (a transition table, or SQLite's
    NEW / OLD row): revision 0025's (kind, deal, participant), with the day or not."""
    values = ["'deal'", "r.deal_id", "r.participant_id"] + ([DAY] if with_day else [])
    if source.endswith("_rows"):
        return f"SELECT {', '.join(values)} FROM {source} r"
    return f"SELECT {', '.join(v.replace('r.', f'{source}.') for v in values)}"


def _triggers(with_day: bool) -> None:
    columns = "kind, deal_id, participant_id" + (", day" if with_day else "")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in CHILDREN:
        for event, tables, rows in EVENTS:
            if postgresql:  # the trigger stays; its function is replaced
                body = " UNION ".join(_select(with_day, t) for t in tables)
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
            name = f"{table}_journal_{event.lower()}"
            inserts = "".join(
                f"INSERT INTO input_changes ({columns}) {_select(with_day, r)};\n" for r in rows
            )
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN\n{inserts}END"
            )


def upgrade() -> None:
    _triggers(with_day=True)


def downgrade() -> None:
    _triggers(with_day=False)
