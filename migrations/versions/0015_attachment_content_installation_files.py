"""Documents' bytes and the installation's shared files (session key, calendars) in the database, so several app
hosts on one PostgreSQL serve the same installation (issue 19)

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachment_content',
        sa.Column('sha256', sa.String(64), primary_key=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        'installation_file',
        sa.Column('name', sa.String(100), primary_key=True),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('installation_file')
    op.drop_table('attachment_content')
