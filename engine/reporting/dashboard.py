"""The manager's SLA dashboard (*dasbor kinerja layanan*): the SLA report for a month, its weekly trend, and the
per-step figures a heatmap colours.

Every figure is taken from ``engine.reporting.reports.sla_report`` — the month's tables are exactly the report for
that month,
and each week of the trend is the report for that week — so the screen, its exports and the report API agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.people.access import Actor
from engine.reporting import reports
from engine.reporting.reports import ReportQuery, SlaReport, StepFigures

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

TREND_WEEKS = 8
# Heatmap levels by share within SLA: the same thresholds the legend states.
GOOD, FAIR = 0.9, 0.75


@dataclass(frozen=True)
class Period:
    """A calendar month in the office's time zone: ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def month(self) -> str:
        return self.start.strftime("%Y-%m")


@dataclass
class Trend:
    weeks: list[date] = field(default_factory=list)  # Mondays
    share: dict[str, list[float | None]] = field(default_factory=dict)  # service key → share per week
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class Dashboard:
    period: Period
    report: SlaReport
    trend: Trend


def month_period(ctx: EngineContext, month: str | None = None) -> Period:
    """The month ``YYYY-MM`` (default: the current one) as office-time bounds. Raises ``InvalidInput``."""
    zone = ZoneInfo(ctx.settings.timezone)
    if month:
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError as exc:
            raise InvalidInput("Give the month as YYYY-MM, e.g. 2026-06.", {"month": "Use YYYY-MM."}) from exc
    else:
        first = ctx.now().astimezone(zone).date().replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period(datetime.combine(first, time(), zone), datetime.combine(following, time(), zone))


def build(session: Session, ctx: EngineContext, actor: Actor, period: Period, *, service: str | None = None,
          jurisdiction: str | None = None, weeks: int = TREND_WEEKS) -> Dashboard:
    """The report for ``period`` and the share of files within SLA for each of the ``weeks`` weeks up to its end
    (or up to now, for the current month). Raises ``Forbidden`` for people who may not read reports."""
    query = ReportQuery(service=service, jurisdiction=jurisdiction, date_from=period.start, date_to=period.end)
    report = reports.sla_report(session, ctx, actor, query)
    return Dashboard(period, report, _trend(session, ctx, actor, period, service, jurisdiction, weeks))


def _trend(session, ctx, actor, period: Period, service, jurisdiction, weeks: int) -> Trend:
    zone = ZoneInfo(ctx.settings.timezone)
    last_day = min(period.end - timedelta(seconds=1), ctx.now()).astimezone(zone).date()
    monday = last_day - timedelta(days=last_day.weekday())
    trend = Trend(weeks=[monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)])
    for index, week in enumerate(trend.weeks):
        start = datetime.combine(week, time(), zone)
        query = ReportQuery(service=service, jurisdiction=jurisdiction, date_from=start,
                            date_to=start + timedelta(weeks=1))
        for row in reports.sla_report(session, ctx, actor, query).files:
            trend.names.setdefault(row.service, row.service_name)
            trend.share.setdefault(row.service, [None] * len(trend.weeks))[index] = row.figures.share_within_sla
    return trend


def level(share: float | None) -> str:
    """The heatmap colour of a share within SLA: good / fair / poor, or none without data."""
    if share is None:
        return "none"
    return "good" if share >= GOOD else "fair" if share >= FAIR else "poor"


def service_steps(report: SlaReport, service: str) -> list[StepFigures]:
    """The all-offices step rows of one service, in the report's order."""
    return [row for row in report.steps if row.service == service]
