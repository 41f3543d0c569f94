"""Migrations run up and down cleanly on both databases and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from models import metadata, schema
from models.engine import make_engine

BACKENDS = ["sqlite", "postgresql"]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_upgrade_downgrade_upgrade(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url)
    assert schema.current_revision(url) == schema.head_revision()
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables

        schema.downgrade(url, "base")
        assert schema.current_revision(url) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        schema.upgrade(url)
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_models_match_migrations(backend_name, fresh_database_url):
    """No model change without a revision: autogenerate must find nothing to do."""
    url = fresh_database_url(backend_name)
    schema.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []
