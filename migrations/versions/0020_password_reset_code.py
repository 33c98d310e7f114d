"""Forgot password by SMS or WhatsApp: six-digit codes, stored salted and hashed, with their tries (issue 18)

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'password_reset_code',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id', ondelete='CASCADE'), nullable=False),
        sa.Column('salt', sa.String(32), nullable=False),
        sa.Column('code_hash', sa.String(64), nullable=False),
        sa.Column('phone', sa.String(20), nullable=False),
        sa.Column('channel', sa.String(20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
    )
    op.create_index('ix_password_reset_code_user', 'password_reset_code', ['user_id'])
    op.create_index('ix_password_reset_code_phone', 'password_reset_code', ['phone', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_password_reset_code_phone', 'password_reset_code')
    op.drop_index('ix_password_reset_code_user', 'password_reset_code')
    op.drop_table('password_reset_code')
