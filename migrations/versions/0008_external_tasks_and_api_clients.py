"""External tasks (Camunda 7's contract) and the API clients that work them (issue 16)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'external_task',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instance.id'), nullable=False),
        sa.Column('definition_id', sa.Integer(), sa.ForeignKey('service_definition.id'), nullable=False),
        sa.Column('service_key', sa.String(200), nullable=False),
        sa.Column('task_id', sa.String(36), nullable=False, unique=True),
        sa.Column('element_id', sa.String(200), nullable=False),
        sa.Column('element_name', sa.String(300), nullable=False),
        sa.Column('topic', sa.String(200), nullable=False),
        sa.Column('business_key', sa.String(200), nullable=False),
        sa.Column('jurisdiction', sa.String(100), nullable=False),
        sa.Column('variables', sa.JSON(), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(20), nullable=False),
        sa.Column('available_at', sa.DateTime(), nullable=False),
        sa.Column('worker_id', sa.String(200)),
        sa.Column('client', sa.String(100)),
        sa.Column('lock_expires_at', sa.DateTime()),
        sa.Column('retries', sa.Integer()),
        sa.Column('retry_at', sa.DateTime()),
        sa.Column('error_message', sa.Text()),
        sa.Column('error_details', sa.Text()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime()),
    )
    op.create_index('ix_external_task_fetch', 'external_task', ['topic', 'available_at'],
                    postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
    op.create_index('ix_external_task_instance', 'external_task', ['instance_id', 'state'])
    op.create_table(
        'api_client',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(100), nullable=False, unique=True),
        sa.Column('secret_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('topics', sa.JSON(), nullable=False),
        sa.Column('messages', sa.JSON(), nullable=False),
        sa.Column('jurisdictions', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.String(100)),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('rotated_at', sa.DateTime()),
        sa.Column('revoked_at', sa.DateTime()),
        sa.Column('last_used_at', sa.DateTime()),
    )


def downgrade() -> None:
    op.drop_table('api_client')
    op.drop_index('ix_external_task_instance', table_name='external_task')
    op.drop_index('ix_external_task_fetch', table_name='external_task')
    op.drop_table('external_task')
