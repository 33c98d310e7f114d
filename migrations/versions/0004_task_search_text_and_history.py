"""Inbox search and history: a lower-cased search column on task and an index over finished tasks (HTTP API issue)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('ready', 'claimed')")
FINISHED = sa.text("state = 'completed'")
INBOX_COLUMNS = ['state', 'for_applicant', 'assignee', 'created_at', 'candidate_groups', 'service_key', 'sla_state']


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=700), nullable=True))
    # Registration number, applicant name and step name, lower-cased: what the inbox's ``q`` matches.
    op.execute("UPDATE task SET search_text = lower((SELECT coalesce(i.registration_no, '') || ' ' || "
               "coalesce(i.applicant_name, '') FROM instance i WHERE i.id = task.instance_id) || ' ' || name)")
    # The inbox index now carries the search column too, so ``q`` is answered from the index alone.
    op.drop_index('ix_task_inbox_open', table_name='task')
    op.create_index('ix_task_inbox_open', 'task', ['jurisdiction', 'due_at', 'id'], unique=False,
                    postgresql_include=INBOX_COLUMNS + ['search_text'], postgresql_where=OPEN, sqlite_where=OPEN)
    # History (``state=completed``), newest first per office, without touching the open tasks or the heap.
    op.create_index('ix_task_history', 'task', ['jurisdiction', 'completed_at', 'id'], unique=False,
                    postgresql_include=['for_applicant', 'assignee', 'candidate_groups', 'service_key', 'sla_state',
                                        'search_text'],
                    postgresql_where=FINISHED, sqlite_where=FINISHED)
    # The officer's own finished tasks, newest first (the other branch of the history query).
    op.create_index('ix_task_history_assignee', 'task', ['assignee', 'completed_at', 'id'], unique=False,
                    postgresql_where=FINISHED, sqlite_where=FINISHED)


def downgrade() -> None:
    op.drop_index('ix_task_history_assignee', table_name='task')
    op.drop_index('ix_task_history', table_name='task')
    op.drop_index('ix_task_inbox_open', table_name='task')
    op.create_index('ix_task_inbox_open', 'task', ['jurisdiction', 'due_at', 'id'], unique=False,
                    postgresql_include=INBOX_COLUMNS, postgresql_where=OPEN, sqlite_where=OPEN)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('search_text')
