"""An applicant account's NIK, so the counter finds accounts opened online too (issue 18)

Accounts opened at the counter already have the NIK as their username: it is copied into the new column.

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('nik', sa.String(16), nullable=True))
    op.create_index('ix_user_account_nik', 'user_account', ['nik'], unique=True)
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("UPDATE user_account SET nik = username WHERE username ~ '^[0-9]{16}$'")
    else:
        op.execute("UPDATE user_account SET nik = username "
                   "WHERE length(username) = 16 AND username NOT GLOB '*[^0-9]*'")


def downgrade() -> None:
    op.drop_index('ix_user_account_nik', table_name='user_account')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('nik')
