"""PostgreSQL: applications' states compressed with lz4 instead of pglz

Every step writes the application's state (7 KB after one revision loop, 20 KB after ten), which PostgreSQL
compresses on the way to disk; lz4 does that several times faster than the default pglz, for about the same
size. Only new values use it (rows keep what they have until their next step). PostgreSQL 14 or newer built with
lz4; any other server keeps pglz, and SQLite has no such setting.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COLUMNS = [('instance', 'state')]


def _lz4_available(bind) -> bool:
    choices = bind.execute(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return choices is not None and 'lz4' in choices


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql' or not _lz4_available(bind):
        return
    for table, column in COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql' or not _lz4_available(bind):
        return
    for table, column in COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION DEFAULT')
