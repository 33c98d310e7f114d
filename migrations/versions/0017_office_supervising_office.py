"""The office that takes a regency's steps when nobody there can work them (issue 18)

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('office') as batch:
        batch.add_column(sa.Column('supervising_office', sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('office') as batch:
        batch.drop_column('supervising_office')
