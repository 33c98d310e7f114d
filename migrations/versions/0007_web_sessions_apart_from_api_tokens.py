"""Web sessions apart from API tokens: a ``kind`` per token, so the secret a browser's cookie carries is refused as an
API bearer token (issue 14)

The web pages used to keep an ordinary API token (label ``web``) in their signed — but readable — cookie. Those
rows become web sessions: people stay signed in on the pages, and a copied cookie no longer opens the API.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='api', nullable=False))
    op.execute("UPDATE api_token SET kind = 'web' WHERE label = 'web'")


def downgrade() -> None:
    # Without the column a web session would turn back into a bearer token: end them instead.
    op.execute("DELETE FROM api_token WHERE kind = 'web'")
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('kind')
