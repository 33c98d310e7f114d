"""The scheduler's heartbeat: each job's last finished run per scheduler process, for /health and /metrics (issue 19)

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scheduler_heartbeat',
        sa.Column('scheduler_id', sa.String(200), primary_key=True),
        sa.Column('job', sa.String(50), primary_key=True),
        sa.Column('interval_seconds', sa.Float(), nullable=False),
        sa.Column('last_run_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('scheduler_heartbeat')
