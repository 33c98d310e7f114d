"""What applications wait for from outside: messages and signals, indexed by name and business key (issue 16)

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'waiting_event',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instance.id'), nullable=False),
        sa.Column('task_id', sa.String(36), nullable=False),
        sa.Column('element_id', sa.String(200), nullable=False),
        sa.Column('element_kind', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('name', sa.String(300), nullable=False),
        sa.Column('business_key', sa.String(200), nullable=False),
        sa.Column('service_key', sa.String(200), nullable=False),
        sa.Column('jurisdiction', sa.String(100), nullable=False),
        sa.Column('variables', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_waiting_event_lookup', 'waiting_event', ['kind', 'name', 'business_key'])
    op.create_index('ix_waiting_event_instance', 'waiting_event', ['instance_id'])


def downgrade() -> None:
    op.drop_index('ix_waiting_event_instance', table_name='waiting_event')
    op.drop_index('ix_waiting_event_lookup', table_name='waiting_event')
    op.drop_table('waiting_event')
