"""Dates, durations, working days and exact decimals for scripts: what a deadline or a fee computed from data needs.

Task data keeps dates as ISO text (``"2026-06-02"``, ``"2026-06-02T09:00:00+08:00"``), which compares correctly as
text and survives every save; so the helpers take and give ISO text too, never date objects a script would have to
convert before storing them:

* ``today()``, ``now()`` — the office's date and time, from the engine's clock (tests freeze it);
* ``add_days(day, n)``, ``add_duration(when, "P1M2D")`` (ISO 8601, months and years included), ``days_between(a, b)``;
* ``add_working_days(day, n)``, ``working_days_between(a, b)``, ``is_working_day(day)`` — on the calendar of the
  application's office (weekends, national holidays, *cuti bersama* and the office's own days off), or of the office
  named as the last argument;
* ``Decimal("12500.50")`` — exact arithmetic for money (a float turns 0.1 + 0.2 into 0.30000000000000004); store the
  result with ``str()`` or ``int()``.

They run in the sandbox worker process only: a call is not bounded by its text, so the engine never evaluates one
in the server (:mod:`.bounded`). Counts of days are capped (:data:`MAX_DAYS`), and every mistake is a ``ValueError``
saying what to write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

MAX_DAYS = 36_600  # a hundred years of days, working or not
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def _parse(value: Any, what: str) -> date | datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a date as text such as '2026-06-02', not {type(value).__name__}")
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+08:00") from None


def _day(value: Any, what: str) -> date:
    parsed = _parse(value, what)
    return parsed.date() if isinstance(parsed, datetime) else parsed


def _text(value: date | datetime) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value.isoformat()


def _count(value: Any, what: str) -> int:
    if type(value) is not int:
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    if abs(value) > MAX_DAYS:
        raise ValueError(f"{what} is limited to {MAX_DAYS:,} days")
    return value


def _decimal(value: Any = "0") -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # the float as written, not its binary expansion
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"Decimal() takes a number or its text, not {type(value).__name__}")
    if isinstance(value, str) and len(value) > 100:
        raise ValueError("Decimal() takes at most 100 characters")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number: write digits with a dot for decimals, e.g. '12500.50'") from None


def helpers(now: datetime, timezone: str, calendar_of: Callable[[str | None], Any],
            office: str | None) -> dict[str, Callable[..., Any]]:
    """The functions scripts can call, for one evaluation: ``now`` (aware) is the engine's clock, ``calendar_of``
    gives an office's working calendar (None: the default office), ``office`` is the application's."""
    local_now = now.astimezone(ZoneInfo(timezone))

    def calendar(name: str | None):
        return calendar_of(name if name is not None else office)

    def today() -> str:
        return local_now.date().isoformat()

    def now_() -> str:
        return local_now.isoformat(timespec="seconds")

    def add_days(day: str, days: int) -> str:
        return _text(_parse(day, "add_days()'s day") + timedelta(days=_count(days, "add_days()'s number")))

    def add_duration(when: str, duration: str) -> str:
        match = _DURATION.fullmatch(duration) if isinstance(duration, str) else None
        if match is None or duration in ("P", "PT"):
            raise ValueError(f"add_duration() takes an ISO 8601 duration such as 'P14D', 'P1M' or 'PT4H', "
                             f"not {duration!r}")
        years, months, weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
        if years * 366 + months * 31 + weeks * 7 + days > MAX_DAYS:
            raise ValueError(f"add_duration() is limited to {MAX_DAYS:,} days")
        step = relativedelta(years=years, months=months, weeks=weeks, days=days, hours=hours, minutes=minutes,
                             seconds=seconds)
        start = _parse(when, "add_duration()'s start")
        if isinstance(start, date) and not isinstance(start, datetime) and (hours or minutes or seconds):
            raise ValueError("add_duration() adds hours, minutes or seconds only to a date with a time")
        return _text(start + step)

    def days_between(start: str, end: str) -> int:
        return (_day(end, "days_between()'s end") - _day(start, "days_between()'s start")).days

    def is_working_day(day: str, office_name: str | None = None) -> bool:
        return calendar(office_name).is_working_day(_day(day, "is_working_day()'s day"))

    def add_working_days(day: str, days: int, office_name: str | None = None) -> str:
        current, left = _day(day, "add_working_days()'s day"), _count(days, "add_working_days()'s number")
        working, step = calendar(office_name), 1 if left >= 0 else -1
        for _ in range(MAX_DAYS * 2):
            if left == 0:
                return current.isoformat()
            current += timedelta(days=step)
            if working.is_working_day(current):
                left -= step
        raise ValueError("add_working_days() found too few working days on this office's calendar")

    def working_days_between(start: str, end: str, office_name: str | None = None) -> int:
        first, last = _day(start, "working_days_between()'s start"), _day(end, "working_days_between()'s end")
        sign = 1 if last >= first else -1
        if abs((last - first).days) > MAX_DAYS:
            raise ValueError(f"working_days_between() is limited to {MAX_DAYS:,} days")
        working, count, current = calendar(office_name), 0, first
        while current != last:
            current += timedelta(days=sign)
            count += working.is_working_day(current)
        return sign * count

    return {
        "today": today, "now": now_, "add_days": add_days, "add_duration": add_duration,
        "days_between": days_between, "is_working_day": is_working_day, "add_working_days": add_working_days,
        "working_days_between": working_days_between, "Decimal": _decimal,
    }


#: The names of the helpers (for the linter and the README), without building them.
NAMES = ("today", "now", "add_days", "add_duration", "days_between", "is_working_day", "add_working_days",
         "working_days_between", "Decimal")
