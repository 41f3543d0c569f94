"""The change journal of the engine's inputs (incremental re-runs and re-checks).

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-03 14:40:00

Reviewed by hand. `input_changes` gets one row per row written to a table a payout run
reads, from triggers: no writer can bypass it (ORM, bulk insert, COPY, raw SQL). Each
row names what the change reaches: a deal (and the participant the row credits, before
and after), a participant (and their manager before and after), or the whole input
(`fx`, `plan`, `exception`: the run compares those by hash, or runs in full).

PostgreSQL: AFTER ... FOR EACH STATEMENT triggers over transition tables (one INSERT
... SELECT DISTINCT per statement, so a COPY of a batch costs one insert), each row
stamped with the writing transaction's id (`pg_current_xact_id()`): a run records its
snapshot and "changed since" is "not visible in that snapshot" (a sequence id would
miss a transaction that took a lower id and committed later). SQLite: AFTER ... FOR
EACH ROW triggers; the AUTOINCREMENT id orders the commits (one writer at a time).

`ix_payout_lines_adjusts_period` (partial): the re-check's "who carries adjustments
for this locked period" without a scan of every run's lines.

`payout_runs.input_revision` (the snapshot or id a build read) and
`payout_runs.participant_hashes` (every participant's input hash) start NULL: the
first re-run after the upgrade is a full pass. docs/decisions.md, "Incremental re-runs:
the change journal". Downgrade drops the triggers, the table and the columns.
"""

from alembic import op
import sqlalchemy as sa


revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None

# table -> [(kind, deal expression, participant expression)] per changed row `r`.
JOURNALED = {
    "deals": [("deal", "r.id", "r.owner_id")],
    "deal_events": [("deal", "r.deal_id", "NULL")],
    "deal_splits": [("deal", "r.deal_id", "r.participant_id")],
    "deal_team_members": [("deal", "r.deal_id", "r.participant_id")],
    "deal_touchpoints": [("deal", "r.deal_id", "r.participant_id")],
    "participants": [("participant", "NULL", "r.id"), ("participant", "NULL", "r.manager_id")],
    "assignments": [("participant", "NULL", "r.participant_id")],
    "quotas": [("participant", "NULL", "r.participant_id")],
    "fx_rates": [("fx", "NULL", "NULL")],
    "payout_exceptions": [("exception", "r.deal_id", "r.participant_id")],
    "plans": [("plan", "NULL", "NULL")],
    "plan_versions": [("plan", "NULL", "NULL")],
}
ADJUSTS = "adjusts_period IS NOT NULL"
EVENTS = (
    ("INSERT", "NEW TABLE AS new_rows", ("new_rows",)),
    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", ("old_rows", "new_rows")),
    ("DELETE", "OLD TABLE AS old_rows", ("old_rows",)),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _selects(table: str, source: str) -> list[str]:
    """One SELECT (kind, deal, participant) per journal row kind of `table`, over `source`
    (a transition table, or SQLite's NEW / OLD row)."""
    out = []
    for kind, deal, person in JOURNALED[table]:
        where = f" WHERE {person} IS NOT NULL" if person != "NULL" and kind == "participant" else ""
        frm = f" FROM {source} r" if source.endswith("_rows") else ""
        if not frm:
            deal, person = deal.replace("r.", f"{source}."), person.replace("r.", f"{source}.")
            where = where.replace("r.", f"{source}.")
        out.append(f"SELECT '{kind}', {deal}, {person}{frm}{where}")
    return out


def upgrade() -> None:
    op.create_table(
        "input_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("deal_id", sa.String(64), nullable=True),
        sa.Column("participant_id", sa.String(64), nullable=True),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_input_changes_txid", "input_changes", ["txid"])
    op.add_column("payout_runs", sa.Column("input_revision", sa.Text(), nullable=True))
    op.add_column("payout_runs", sa.Column("participant_hashes", sa.JSON(), nullable=True))
    op.create_index(
        "ix_payout_lines_adjusts_period", "payout_lines", ["adjusts_period"], unique=False,
        postgresql_where=sa.text(ADJUSTS), sqlite_where=sa.text(ADJUSTS),
    )
    if _postgresql():
        for table in JOURNALED:
            for event, referencing, sources in EVENTS:
                body = " UNION ".join(s for src in sources for s in _selects(table, src))
                op.execute(
                    f"""
                    CREATE FUNCTION accord_journal_{table}_{event.lower()}() RETURNS trigger
                    LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO input_changes (kind, deal_id, participant_id, txid)
                        SELECT c.*, pg_current_xact_id()::text::bigint FROM ({body}) c;
                        RETURN NULL;
                    END
                    $$
                    """
                )
                op.execute(
                    f"CREATE TRIGGER {table}_journal_{event.lower()} AFTER {event} ON {table} "
                    f"REFERENCING {referencing} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION accord_journal_{table}_{event.lower()}()"
                )
        return
    for table in JOURNALED:
        for event, _referencing, _sources in EVENTS:
            rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]
            inserts = "".join(
                "INSERT INTO input_changes (kind, deal_id, participant_id) "
                f"{select};\n"
                for row in rows
                for select in _selects(table, row)
            )
            op.execute(
                f"CREATE TRIGGER {table}_journal_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN\n{inserts}END"
            )


def downgrade() -> None:
    for table in JOURNALED:
        for event, _referencing, _sources in EVENTS:
            if _postgresql():
                op.execute(f"DROP TRIGGER IF EXISTS {table}_journal_{event.lower()} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS accord_journal_{table}_{event.lower()}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_journal_{event.lower()}")
    op.drop_index("ix_payout_lines_adjusts_period", table_name="payout_lines")
    op.drop_column("payout_runs", "participant_hashes")
    op.drop_column("payout_runs", "input_revision")
    op.drop_index("ix_input_changes_txid", table_name="input_changes")
    op.drop_table("input_changes")
