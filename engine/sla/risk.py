"""*At risk* is worked out when a step or file is read, never stored.

An open clock's stored state is ``on_track`` until the SLA pass claims it ``breached`` (or a step closes it
``met``/``missed``). It is *at risk* while it is on track and its at-risk instant has come — on a clock paused for
the applicant, came before the pause began (the clock stands still, so it stays as it was when it stopped). The
instants are exact and kept so when a pause ends (``engine.sla.clocks``), so the state read here is the same one a
pass marking rows at each instant would have stored, without a pass having to run.

Why not stored: turning at risk has no side effect (no notice, no audit event; a breach has both), so writing the
state cost the pass one row update per step crossing — 20,000 at once after an outage took seconds — only for
readers to compare it to a clock they can compare themselves. Every reader that shows or counts an SLA state goes
through :func:`state` (Python) or :func:`task_state` / :func:`file_state` (SQL), so pages, the API, the dashboard
and ``/metrics`` agree at every instant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, literal, or_

from engine.sla.clocks import AT_RISK, ON_TRACK
from engine.storage.models import Instance, Task


def state(stored: str | None, at_risk_at: datetime | None, paused_since: datetime | None,
          now: datetime) -> str | None:
    """The SLA state of a clock as people see it at ``now``: the stored one, or ``at_risk`` for an on-track clock
    whose at-risk instant has come (before its pause, when paused)."""
    if stored != ON_TRACK or at_risk_at is None:
        return stored
    reached_by = now if paused_since is None else min(paused_since, now)
    return AT_RISK if at_risk_at <= reached_by else ON_TRACK


def of_task(row, now: datetime) -> str | None:
    """:func:`state` of a task row (ORM object or any object with the task's columns as attributes)."""
    return state(row.sla_state, row.at_risk_at, row.paused_since, now)


def of_file(row, now: datetime) -> str | None:
    """:func:`state` of an application's whole-file clock."""
    return state(row.sla_state, row.sla_at_risk_at, row.paused_since, now)


def _at_risk(stored, at_risk_at, paused_since, now: datetime):
    # Three plain comparisons rather than ``at_risk_at <= COALESCE(paused_since, :now)``: each compares a column
    # with a column or with a value bound as that column's type (UTC text on SQLite), so the order holds on both
    # databases.
    return and_(stored == ON_TRACK, at_risk_at <= now, or_(paused_since.is_(None), at_risk_at <= paused_since))


def task_at_risk(now: datetime, table=Task):
    """SQL condition: the task (``table``: the mapped class or a subquery with its columns) is at risk at ``now``."""
    return _at_risk(table.sla_state, table.at_risk_at, table.paused_since, now)


def file_at_risk(now: datetime, table=Instance):
    """SQL condition: the application's whole-file clock is at risk at ``now``."""
    return _at_risk(table.sla_state, table.sla_at_risk_at, table.paused_since, now)


def task_state(now: datetime, table=Task):
    """SQL expression: the task's SLA state at ``now`` (:func:`state` in SQL), for grouping and counting."""
    return case((task_at_risk(now, table), literal(AT_RISK)), else_=table.sla_state)


def file_state(now: datetime, table=Instance):
    """SQL expression: the whole-file SLA state at ``now``."""
    return case((file_at_risk(now, table), literal(AT_RISK)), else_=table.sla_state)
