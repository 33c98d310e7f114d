"""The Alembic migrations build exactly the schema the models describe, and step down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from engine.storage.db import make_engine, upgrade
from engine.storage.models import Base


def test_the_migrated_schema_is_the_models_schema(database):
    with database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


@pytest.mark.postgresql_only
def test_application_states_are_compressed_with_lz4_on_postgresql(database):
    with database.engine.connect() as conn:
        available = conn.execute(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
        method = conn.execute(text(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = 'instance'::regclass AND attname = 'state'"
        )).scalar()
    assert method == ("l" if available else "")


def test_downgrade_to_the_first_revision_and_back(tmp_path):
    from alembic import command

    from engine.storage.db import alembic_config

    url = f"sqlite:///{tmp_path / 'steps.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0001")
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert differences == []
