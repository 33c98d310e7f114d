"""Institutions (campuses): their operators and students' accounts, and the campus a file started under (issue 18)

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'institution',
        sa.Column('code', sa.String(50), primary_key=True),
        sa.Column('name', sa.String(300), nullable=False),
        sa.Column('address', sa.String(500), nullable=False),
        sa.Column('email', sa.String(300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('institution_code', sa.String(50), nullable=True))
        batch.create_foreign_key('fk_user_account_institution', 'institution', ['institution_code'], ['code'])
    with op.batch_alter_table('instance') as batch:
        batch.add_column(sa.Column('institution_code', sa.String(50), nullable=True))
        batch.create_index('ix_instance_institution_code', ['institution_code'])


def downgrade() -> None:
    with op.batch_alter_table('instance') as batch:
        batch.drop_index('ix_instance_institution_code')
        batch.drop_column('institution_code')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint('fk_user_account_institution', type_='foreignkey')
        batch.drop_column('institution_code')
    op.drop_table('institution')
