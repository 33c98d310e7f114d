"""SLA clock columns on task and instance, notification outbox (SLA and scheduler issue)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_calendar', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('sla_target_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('at_risk_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('breached_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_alarm_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_seconds', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('working_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('sla_action', sa.String(length=20), nullable=True))
        batch_op.create_index('ix_task_sla_alarm', ['sla_alarm_at'], unique=False,
                              postgresql_where=sa.text('sla_alarm_at IS NOT NULL'),
                              sqlite_where=sa.text('sla_alarm_at IS NOT NULL'))
        batch_op.create_index('ix_task_sla_action', ['sla_action'], unique=False,
                              postgresql_where=sa.text('sla_action IS NOT NULL'),
                              sqlite_where=sa.text('sla_action IS NOT NULL'))

    with op.batch_alter_table('instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('sla_calendar', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('sla_target_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('sla_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_at_risk_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_breached_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_state', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('sla_alarm_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_seconds', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('working_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('sla_action', sa.String(length=20), nullable=True))
        batch_op.create_index('ix_instance_sla_alarm', ['sla_alarm_at'], unique=False,
                              postgresql_where=sa.text('sla_alarm_at IS NOT NULL'),
                              sqlite_where=sa.text('sla_alarm_at IS NOT NULL'))
        batch_op.create_index('ix_instance_sla_action', ['sla_action'], unique=False,
                              postgresql_where=sa.text('sla_action IS NOT NULL'),
                              sqlite_where=sa.text('sla_action IS NOT NULL'))

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('email', sa.String(length=300), nullable=True),
    sa.Column('email_status', sa.String(length=20), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_recipient', ['recipient', 'id'], unique=False)
        batch_op.create_index('ix_notification_email_due', ['email_status', 'next_attempt_at'], unique=False,
                              postgresql_where=sa.text("email_status = 'pending'"),
                              sqlite_where=sa.text("email_status = 'pending'"))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_email_due')
        batch_op.drop_index('ix_notification_recipient')
    op.drop_table('notification')

    with op.batch_alter_table('instance', schema=None) as batch_op:
        batch_op.drop_index('ix_instance_sla_action')
        batch_op.drop_index('ix_instance_sla_alarm')
        for column in ('sla_action', 'working_seconds', 'paused_seconds', 'paused_since', 'sla_alarm_at',
                       'sla_state', 'sla_breached_at', 'sla_at_risk_at', 'sla_due_at', 'sla_target_seconds',
                       'sla_calendar', 'sla'):
            batch_op.drop_column(column)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_sla_action')
        batch_op.drop_index('ix_task_sla_alarm')
        for column in ('sla_action', 'working_seconds', 'paused_seconds', 'paused_since', 'sla_alarm_at',
                       'breached_at', 'at_risk_at', 'sla_target_seconds', 'sla_calendar'):
            batch_op.drop_column(column)
