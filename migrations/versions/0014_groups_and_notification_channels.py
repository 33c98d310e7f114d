"""Managed staff groups; an account's phone and notification channel; the channel of each outbox row (issue 18)

Revision ID: 0014
Revises: 0013
"""
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_group',
        sa.Column('name', sa.String(100), primary_key=True),
        sa.Column('title', sa.String(300), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
    )
    _list_the_groups_in_use()
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('phone', sa.String(20), nullable=True))
        batch.add_column(sa.Column('notify_channel', sa.String(20), nullable=True))
    with op.batch_alter_table('notification') as batch:
        batch.add_column(sa.Column('channel', sa.String(20), nullable=True))
        batch.add_column(sa.Column('phone', sa.String(20), nullable=True))


def _list_the_groups_in_use() -> None:
    """An installation upgrading keeps working: the groups its accounts hold and its diagrams name start the list."""
    conn = op.get_bind()

    def parsed(value):
        return json.loads(value) if isinstance(value, str) else (value or [])

    names = {name for (groups,) in conn.execute(sa.text("SELECT groups FROM user_account")) for name in parsed(groups)}
    for (meta,) in conn.execute(sa.text("SELECT meta FROM service_definition")):
        meta = parsed(meta)
        for step in (meta.get("tasks") or {}).values() if isinstance(meta, dict) else ():
            names.update(step.get("candidate_groups") or [])
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    table = sa.table('staff_group', sa.column('name', sa.String), sa.column('title', sa.String),
                     sa.column('created_at', sa.DateTime))
    rows = [{'name': name, 'title': name, 'created_at': now} for name in sorted(names) if name and len(name) <= 100]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table('notification') as batch:
        batch.drop_column('phone')
        batch.drop_column('channel')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('notify_channel')
        batch.drop_column('phone')
    op.drop_table('staff_group')
