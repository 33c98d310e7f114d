"""The satisfaction survey (SKM): one response per finished application

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa



revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'survey_response',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instance.id'), nullable=False, unique=True),
        sa.Column('service_key', sa.String(200), nullable=False),
        sa.Column('jurisdiction', sa.String(100), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('submitted_by', sa.String(100), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_survey_service_at', 'survey_response', ['service_key', 'submitted_at'])


def downgrade() -> None:
    op.drop_index('ix_survey_service_at', table_name='survey_response')
    op.drop_table('survey_response')
