"""Form drafts kept on the server (with the uploads they refer to) and forgot-password tokens (issue 18)

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'form_draft',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('owner', sa.String(100), nullable=False),
        sa.Column('scope', sa.String(250), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('expiry_notified_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('owner', 'scope', name='uq_form_draft_owner_scope'),
    )
    op.create_index('ix_form_draft_expires', 'form_draft', ['expires_at'])
    op.create_table(
        'form_draft_file',
        sa.Column('draft_id', sa.Integer(), sa.ForeignKey('form_draft.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('attachment_id', sa.String(32), primary_key=True),
    )
    op.create_index('ix_form_draft_file_attachment', 'form_draft_file', ['attachment_id'])
    op.create_table(
        'password_reset_token',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('token_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id', ondelete='CASCADE'), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
    )
    op.create_index('ix_password_reset_user', 'password_reset_token', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_password_reset_user', 'password_reset_token')
    op.drop_table('password_reset_token')
    op.drop_index('ix_form_draft_file_attachment', 'form_draft_file')
    op.drop_table('form_draft_file')
    op.drop_index('ix_form_draft_expires', 'form_draft')
    op.drop_table('form_draft')
