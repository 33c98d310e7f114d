"""The issued letter's verification token: the random part of the address its QR code opens (issue 17)

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issued_letter') as batch:
        batch.add_column(sa.Column('verify_token', sa.String(64), nullable=True))
        batch.create_unique_constraint('uq_issued_letter_verify_token', ['verify_token'])


def downgrade() -> None:
    with op.batch_alter_table('issued_letter') as batch:
        batch.drop_constraint('uq_issued_letter_verify_token', type_='unique')
        batch.drop_column('verify_token')
