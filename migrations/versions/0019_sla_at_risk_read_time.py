"""SLA: "at risk" is read off the clock, not stored; the alarm is the breach instant (issue 21)

The SLA pass used to write ``sla_state = 'at_risk'`` on every step and file whose at-risk instant had come, and
kept ``sla_alarm_at`` at the at-risk instant while on track. Now readers derive at risk from ``at_risk_at`` /
``sla_at_risk_at`` (``engine.sla.risk``) and the pass only claims breaches, so:

* a stored ``at_risk`` becomes ``on_track`` — its at-risk instant has passed (before its pause, for a paused
  clock: the pass only marked running clocks), so readers show it at risk exactly as before;
* a running on-track clock's alarm moves from its at-risk instant to its breach instant (a paused clock's alarm
  stays NULL; an at-risk one's already was the breach instant);
* the inbox index carries ``at_risk_at`` and ``paused_since`` on PostgreSQL, so ``sla=at_risk`` and the queue
  counts stay index-only.

Revision ID: 0019
Revises: 0018
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('ready', 'claimed')")
INBOX_COLUMNS = ['state', 'for_applicant', 'assignee', 'created_at', 'candidate_groups', 'service_key', 'sla_state',
                 'search_text']
# (table, at-risk column, breach column)
CLOCKS = (('task', 'at_risk_at', 'breached_at'), ('instance', 'sla_at_risk_at', 'sla_breached_at'))


def upgrade() -> None:
    for table, _at_risk, breached in CLOCKS:
        op.execute(f"UPDATE {table} SET sla_alarm_at = {breached} "
                   f"WHERE sla_state = 'on_track' AND sla_alarm_at IS NOT NULL")
        op.execute(f"UPDATE {table} SET sla_state = 'on_track' WHERE sla_state = 'at_risk'")
    _inbox_index(INBOX_COLUMNS + ['at_risk_at', 'paused_since'])


def downgrade() -> None:
    # What the old pass would have stored by now: at risk once the instant came (before the pause, when paused),
    # and the alarm at the at-risk instant while still on track.
    now = datetime.now(UTC).replace(tzinfo=None)
    for table, at_risk, _breached in CLOCKS:
        op.execute(sa.text(f"UPDATE {table} SET sla_state = 'at_risk' WHERE sla_state = 'on_track' "
                           f"AND {at_risk} <= :now AND (paused_since IS NULL OR {at_risk} <= paused_since)")
                   .bindparams(sa.bindparam('now', now, type_=sa.DateTime())))
        op.execute(f"UPDATE {table} SET sla_alarm_at = {at_risk} "
                   f"WHERE sla_state = 'on_track' AND sla_alarm_at IS NOT NULL")
    _inbox_index(INBOX_COLUMNS)


def _inbox_index(included: list[str]) -> None:
    op.drop_index('ix_task_inbox_open', table_name='task')
    op.create_index('ix_task_inbox_open', 'task', ['jurisdiction', 'due_at', 'id'], unique=False,
                    postgresql_include=included, postgresql_where=OPEN, sqlite_where=OPEN)
