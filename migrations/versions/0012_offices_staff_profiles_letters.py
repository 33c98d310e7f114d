"""Offices (kop surat, letter numbers), staff profiles (jabatan, pangkat, NIP), letter templates and issued letters
(issue 17)

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'office',
        sa.Column('code', sa.String(100), primary_key=True),
        sa.Column('name', sa.String(300), nullable=False),
        sa.Column('address', sa.String(500), nullable=False),
        sa.Column('place', sa.String(100), nullable=False),
        sa.Column('public_url', sa.String(300), nullable=False),
        sa.Column('emblem', sa.LargeBinary(), nullable=True),
        sa.Column('emblem_type', sa.String(40), nullable=True),
        sa.Column('letter_numbers', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'staff_profile',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('position', sa.String(300), nullable=False),
        sa.Column('rank', sa.String(100), nullable=False),
        sa.Column('nip', sa.String(18), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'letter_template',
        sa.Column('sha256', sa.String(64), primary_key=True),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('css', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'issued_letter',
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instance.id'), primary_key=True),
        sa.Column('permit_number', sa.String(200), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('valid_until', sa.String(10), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by', sa.String(100), nullable=True),
        sa.Column('revoke_reason', sa.String(1000), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('issued_letter')
    op.drop_table('letter_template')
    op.drop_table('staff_profile')
    op.drop_table('office')
