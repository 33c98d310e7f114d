"""A key naming each service definition's never-changing columns (issue 21: a step's read without the settings)

Every step reads its application's definition for the settings the engine took from the diagram (``meta``: 7 KB of
JSON for the research permit), the form map and the names. They never change once deployed, so a process keeps one
copy per definition and the step's read carries only the columns that do change, and this key
(``engine.storage.definition_rows``). Existing definitions get a random key each.

Revision ID: 0023
Revises: 0022
"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_definition') as batch:
        batch.add_column(sa.Column('content_id', sa.String(32), nullable=True))
    bind = op.get_bind()
    definitions = sa.table('service_definition', sa.column('id', sa.Integer), sa.column('content_id', sa.String))
    for (definition_id,) in bind.execute(sa.select(definitions.c.id)).fetchall():
        bind.execute(definitions.update().where(definitions.c.id == definition_id)
                     .values(content_id=uuid.uuid4().hex))
    with op.batch_alter_table('service_definition') as batch:
        batch.alter_column('content_id', existing_type=sa.String(32), nullable=False)


def downgrade() -> None:
    # Not in batch mode: on SQLite that copies the table and drops the old one, which the rows referring to it
    # (applications, events) forbid while foreign keys are enforced; SQLite 3.35+ drops a column in place.
    op.drop_column('service_definition', 'content_id')
