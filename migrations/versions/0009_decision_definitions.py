"""DMN decision tables deployed with a service or alone, versioned by key (issue 16)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'decision_definition',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(300), nullable=False),
        sa.Column('hit_policy', sa.String(4), nullable=False),
        sa.Column('filename', sa.String(300), nullable=False),
        sa.Column('dmn', sa.Text(), nullable=False),
        sa.Column('table_json', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('service_key', sa.String(200)),
        sa.Column('service_version', sa.Integer()),
        sa.Column('deployed_by', sa.String(100)),
        sa.Column('deployed_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('key', 'version', name='uq_decision_key_version'),
    )
    op.create_index('ix_decision_key_sha', 'decision_definition', ['key', 'sha256'])


def downgrade() -> None:
    op.drop_index('ix_decision_key_sha', table_name='decision_definition')
    op.drop_table('decision_definition')
