"""Working time: the clock that SLA targets run on.

Indonesian service standards state completion time in working days (*hari kerja*): weekends, national holidays and
joint leave (*cuti bersama*) do not count, and a file that arrives on Friday evening has not used any of the office's
time before Monday morning. Counting calendar time instead would make a "5 day" permit breach over every long
weekend, so SLA deadlines are computed on a :class:`WorkingCalendar`.

The model
---------
* An office is open during one window per working day (08:00–16:00 in its own time zone by default; a per-weekday
  mapping allows a longer Friday). Working time is time inside those windows, measured on the office's wall clock.
* A day is a working day when it is one of the regular workdays (Mon–Fri), not an Indonesian national holiday, not
  *cuti bersama* (unless ``include_government_holidays=False``) and not one of the office's ``extra_days_off``
  (local holidays). ``extra_working_days`` override all of that (e.g. a Saturday worked in exchange for a bridge day).
* SLAs are ISO-8601 durations in working time: ``PT4H`` is four working hours, ``P1D`` is one *working day*, i.e.
  the length of the office's usual day (8 h by default), and ``P1W`` is one usual week's working time (5 days).
  Months and years are rejected: they have no fixed number of working days.

Decisions the rest of the engine relies on
------------------------------------------
* Naive datetimes are office local time; aware ones are converted to the office zone. Every returned datetime is
  aware and in the office zone.
* ``add_working_time(start, d)`` is the earliest instant at which ``d`` of working time has passed since ``start``.
  For ``d > 0`` it lies in ``(opening, closing]`` of a working day: work that ends exactly at closing time is due at
  closing time, not at the next opening. For ``d == 0`` it is :meth:`~WorkingCalendar.next_working_instant`: the
  start itself when the office is open (closing instant included), otherwise the next opening.
* ``working_time_between(a, b)`` is signed: negative when ``b`` is before ``a``. With that choice
  ``between(a, add(a, d)) == d``, ``add(add(a, d1), d2) == add(a, d1 + d2)`` and
  ``between(a, b) + between(b, c) == between(a, c)`` hold for all inputs.
* Arithmetic skips whole weeks and days; only the handful of holidays in a span are visited, so spans of years are
  cheap. Holidays come from the ``holidays`` package (years 1946–2100 for Indonesia; other years have none), computed
  per year on first use and cached. Indonesian zones have no daylight saving time; in a zone that has it, a
  transition inside office hours would be counted on the wall clock.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

HourMinute = tuple[int, int] | time
OfficeHours = tuple[HourMinute, HourMinute]

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
DEFAULT_TIMEZONE = "Asia/Makassar"
DEFAULT_HOURS: OfficeHours = ((8, 0), (16, 0))
MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_NUMBER = r"\d+(?:[.,]\d+)?"
_ISO_DURATION = re.compile(
    rf"P(?!$)(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?(?:(?P<weeks>{_NUMBER})W)?"
    rf"(?:(?P<days>{_NUMBER})D)?(?:T(?!$)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?"
    rf"(?:(?P<seconds>{_NUMBER})S)?)?"
)
_HOURS_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*")


def parse_sla_duration(text: str, *, working_day: timedelta = timedelta(hours=8),
                       working_week: timedelta | None = None) -> timedelta:
    """Read an SLA such as ``P5D``, ``PT4H``, ``P1DT2H`` or ``P1W`` as an amount of working time.

    A day is ``working_day`` (8 h unless the office says otherwise) and a week is ``working_week`` (five working
    days unless given). Fractions are allowed (``P0.5D``). Raises ``ValueError`` saying what to write instead for
    anything else, including months and years.
    """
    if not isinstance(text, str):
        raise ValueError(f"sla {text!r} is not an ISO-8601 duration such as P2D or PT4H")
    return _working_time(text, working_day, working_week)


# A service's few SLA texts are read on every step that opens or settles a task (15 µs each, with fractions).
@lru_cache(maxsize=1024)
def _working_time(text: str, working_day: timedelta, working_week: timedelta | None) -> timedelta:
    match = _ISO_DURATION.fullmatch(text.strip().upper())
    if match is None:
        raise ValueError(f"sla {text!r} is not an ISO-8601 duration such as P2D or PT4H")
    parts = {name: Fraction(value.replace(",", ".")) for name, value in match.groupdict().items() if value}
    if "years" in parts or "months" in parts:
        raise ValueError(f"sla {text!r} counts months or years, which have no fixed number of working days; "
                         "write working days or weeks instead, such as P20D or P4W")
    units = {
        "weeks": working_week if working_week is not None else 5 * working_day,
        "days": working_day,
        "hours": timedelta(hours=1),
        "minutes": timedelta(minutes=1),
        "seconds": timedelta(seconds=1),
    }
    micros = sum(amount * (units[name] // timedelta(microseconds=1)) for name, amount in parts.items())
    try:
        return timedelta(microseconds=round(micros))
    except OverflowError:
        raise ValueError(f"sla {text!r} is longer than any calendar can count; check the number") from None


class Calendar(Protocol):
    """What an SLA clock needs from a calendar; :class:`WorkingCalendar` and :class:`TwentyFourSeven` provide it."""

    timezone: ZoneInfo

    def is_working_day(self, day: date) -> bool: ...

    def office_hours(self, day: date) -> tuple[datetime, datetime] | None: ...

    def next_working_instant(self, moment: datetime) -> datetime: ...

    def add_working_time(self, start: datetime, duration: timedelta | str) -> datetime: ...

    def working_time_between(self, a: datetime, b: datetime) -> timedelta: ...

    def parse_duration(self, text: str) -> timedelta: ...


def calendar_from_config(config: Mapping[str, Any]) -> Calendar:
    """Build the calendar a config mapping describes: ``calendar: 24x7`` for plain time, otherwise working time."""
    kind = str(config.get("calendar", "working")).strip().lower()
    if kind == "24x7":
        return TwentyFourSeven.from_config(config)
    if kind == "working":
        return WorkingCalendar.from_config(config)
    raise ValueError(f"calendar {kind!r} is unknown; use 'working' (office hours, the default) or '24x7'")


class _ZonedCalendar:
    """The parts both calendars share: the office time zone and duration parsing."""

    timezone: ZoneInfo
    day_length: timedelta
    week_length: timedelta

    def parse_duration(self, text: str) -> timedelta:
        """:func:`parse_sla_duration` with this calendar's day and week lengths."""
        return parse_sla_duration(text, working_day=self.day_length, working_week=self.week_length)

    def _duration(self, duration: timedelta | str) -> timedelta:
        amount = self.parse_duration(duration) if isinstance(duration, str) else duration
        if amount < ZERO:
            raise ValueError(f"working time cannot be negative (got {amount}); give a duration of zero or more")
        return amount

    def _wall(self, moment: datetime) -> datetime:
        """The office's naive wall-clock reading of ``moment`` (naive input already is one)."""
        if moment.tzinfo is None:
            return moment
        return moment.astimezone(self.timezone).replace(tzinfo=None)

    def _aware(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self.timezone)

    def _local_day(self, day: date) -> date:
        return self._wall(day).date() if isinstance(day, datetime) else day


class WorkingCalendar(_ZonedCalendar):
    """Office hours on working days, in the office's time zone; see the module docstring for the model."""

    def __init__(self, timezone: str | ZoneInfo = DEFAULT_TIMEZONE,
                 hours: OfficeHours | Mapping[int, OfficeHours] = DEFAULT_HOURS,
                 workdays: Iterable[int] | None = None, extra_days_off: Iterable[date] = (),
                 extra_working_days: Iterable[date] = (), include_government_holidays: bool = True):
        """``hours`` is one ``(open, close)`` pair or a mapping weekday (Monday = 0) → pair; ``workdays`` defaults
        to Monday–Friday, or to the mapping's weekdays. Raises ``ValueError`` for an inconsistent setup."""
        self.timezone = _zone(timezone)
        self.include_government_holidays = include_government_holidays
        self._windows = _weekday_windows(hours, workdays)
        self._standard = _most_common_window(self._windows)
        self.day_length = _length(self._standard)
        self.week_length = sum((_length(window) for window in self._windows.values()), ZERO)
        self._days_off = tuple(sorted(set(extra_days_off)))
        self._working_days = tuple(sorted(set(extra_working_days)))
        both = set(self._days_off) & set(self._working_days)
        if both:
            raise ValueError(f"{', '.join(sorted(map(str, both)))} cannot be both a day off and a working day")
        self._days_off_set = frozenset(self._days_off)
        self._working_days_set = frozenset(self._working_days)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkingCalendar:
        """Build from plain data such as a config file gives::

            {"timezone": "Asia/Makassar", "office_hours": "08:00-16:00",   # or {"mon": "07:30-16:00", ...}
             "workdays": ["mon", "tue", "wed", "thu", "fri"], "days_off": ["2026-01-12"],
             "extra_working_days": [], "government_holidays": true}

        Every key is optional; unknown keys are rejected so that a typo cannot silently drop a day off.
        """
        known = {"calendar", "timezone", "office_hours", "workdays", "days_off", "extra_working_days",
                 "government_holidays"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown calendar setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        hours = config.get("office_hours", "08:00-16:00")
        if isinstance(hours, Mapping):
            hours = {_weekday_number(name): _parse_hours(text) for name, text in hours.items()}
        else:
            hours = _parse_hours(hours)
        workdays = config.get("workdays")
        return cls(
            timezone=config.get("timezone", DEFAULT_TIMEZONE),
            hours=hours,
            workdays=None if workdays is None else [_weekday_number(name) for name in workdays],
            extra_days_off=[parse_day(value) for value in config.get("days_off", ())],
            extra_working_days=[parse_day(value) for value in config.get("extra_working_days", ())],
            include_government_holidays=bool(config.get("government_holidays", True)),
        )

    def __repr__(self) -> str:
        return (f"WorkingCalendar({self.timezone.key!r}, workdays={sorted(self._windows)}, "
                f"days_off={len(self._days_off)}, working_days={len(self._working_days)}, "
                f"cuti_bersama={self.include_government_holidays})")

    def is_working_day(self, day: date) -> bool:
        """Whether the office opens on ``day`` (a datetime is first read in the office zone)."""
        day = self._local_day(day)
        if day in self._working_days_set:
            return True
        if day in self._days_off_set or day.weekday() not in self._windows:
            return False
        return day not in _national_holidays(day.year, self.include_government_holidays)

    def regular_workday(self, day: date) -> bool:
        """Whether ``day`` is one of the office's usual weekdays, holidays and days off aside."""
        return self._local_day(day).weekday() in self._windows

    def weekly_hours(self) -> dict[int, tuple[time, time]]:
        """Opening and closing time per regular workday (Monday = 0)."""
        return dict(self._windows)

    def office_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing instants of ``day``, or ``None`` when the office is closed all day."""
        window = self._window(self._local_day(day))
        return None if window is None else (self._aware(window[0]), self._aware(window[1]))

    def next_working_instant(self, moment: datetime) -> datetime:
        """``moment`` itself while the office is open (closing instant included), otherwise the next opening."""
        return self._aware(self._next_working(self._wall(moment)))

    def add_working_time(self, start: datetime, duration: timedelta | str) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed since ``start``.

        A start outside office hours counts from the next opening. Raises ``ValueError`` for a negative or
        unreadable duration.
        """
        remaining = self._duration(duration)
        cursor = self._next_working(self._wall(start))
        closing = self._window(cursor.date())[1]
        if remaining <= closing - cursor:
            return self._aware(cursor + remaining)
        remaining -= closing - cursor
        day, remaining = self._skip_weeks(cursor.date() + ONE_DAY, remaining)
        return self._aware(self._finish(day, remaining))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b``; negative (``-between(b, a)``) when ``b`` is before ``a``."""
        start, end = self._wall(a), self._wall(b)
        if end < start:
            return -self._between(end, start)
        return self._between(start, end)

    # --- days ---------------------------------------------------------------------------------------------------

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_working_day(day):
            return None
        opening, closing = self._windows.get(day.weekday(), self._standard)
        return datetime.combine(day, opening), datetime.combine(day, closing)

    def _day_length(self, day: date) -> timedelta:
        window = self._window(day)
        return ZERO if window is None else window[1] - window[0]

    def _regular_length(self, day: date) -> timedelta:
        window = self._windows.get(day.weekday())
        return ZERO if window is None else _length(window)

    def _full_days(self, first: date, last: date) -> timedelta:
        """Working time of the whole days ``first`` ≤ day < ``last``: whole weeks by multiplication, then the
        days that differ from their weekday's usual hours (holidays, days off, extra working days)."""
        weeks, rest = divmod((last - first).days, 7)
        total = weeks * self.week_length
        total += sum((self._regular_length(last - timedelta(days=n)) for n in range(1, rest + 1)), ZERO)
        for day in self._exceptions(first, last):
            total += self._day_length(day) - self._regular_length(day)
        return total

    def _exceptions(self, first: date, last: date) -> set[date]:
        if last <= first:
            return set()
        found = set()
        for year in range(first.year, (last - ONE_DAY).year + 1):
            holidays_of_year = _national_holidays(year, self.include_government_holidays)
            found.update(day for day in holidays_of_year if first <= day < last)
        for days in (self._days_off, self._working_days):
            found.update(days[bisect_left(days, first):bisect_left(days, last)])
        return found

    # --- instants -----------------------------------------------------------------------------------------------

    def _next_working(self, wall: datetime) -> datetime:
        window = self._window(wall.date())
        if window is not None and wall <= window[1]:
            return max(wall, window[0])
        day = wall.date() + ONE_DAY
        while (window := self._window(day)) is None:
            day += ONE_DAY
        return window[0]

    def _skip_weeks(self, day: date, remaining: timedelta) -> tuple[date, timedelta]:
        """Jump over whole weeks that ``remaining`` (> 0) outlasts; returns the new day and what is left (> 0)."""
        while remaining > self.week_length:
            weeks = remaining // self.week_length
            span = self._full_days(day, day + timedelta(weeks=weeks))
            while weeks and span >= remaining:  # extra working days can make a span longer than usual
                weeks //= 2
                span = self._full_days(day, day + timedelta(weeks=weeks))
            if not weeks:
                break
            day += timedelta(weeks=weeks)
            remaining -= span
        return day, remaining

    def _finish(self, day: date, remaining: timedelta) -> datetime:
        """Walk day by day (at most about a week plus holidays) until ``remaining`` (> 0) runs out."""
        while True:
            window = self._window(day)
            if window is not None:
                if remaining <= window[1] - window[0]:
                    return window[0] + remaining
                remaining -= window[1] - window[0]
            day += ONE_DAY

    def _between(self, start: datetime, end: datetime) -> timedelta:
        first, last = start.date(), end.date()
        if first == last:
            return self._clipped(first, start, end)
        head = self._clipped(first, start, datetime.combine(last, time()))
        tail = self._clipped(last, datetime.combine(last, time()), end)
        return head + self._full_days(first + ONE_DAY, last) + tail

    def _clipped(self, day: date, start: datetime, end: datetime) -> timedelta:
        window = self._window(day)
        if window is None:
            return ZERO
        return max(min(end, window[1]) - max(start, window[0]), ZERO)


class TwentyFourSeven(_ZonedCalendar):
    """Plain elapsed time (``calendar=24x7``): every instant counts; a day is 24 hours and a week seven days.

    Results are still aware datetimes in the office zone, and naive input is still office local time.
    """

    day_length = timedelta(days=1)
    week_length = timedelta(weeks=1)

    def __init__(self, timezone: str | ZoneInfo = DEFAULT_TIMEZONE):
        self.timezone = _zone(timezone)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TwentyFourSeven:
        return cls(timezone=config.get("timezone", DEFAULT_TIMEZONE))

    def __repr__(self) -> str:
        return f"TwentyFourSeven({self.timezone.key!r})"

    def is_working_day(self, day: date) -> bool:
        return True

    def office_hours(self, day: date) -> tuple[datetime, datetime] | None:
        opening = self._aware(datetime.combine(self._local_day(day), time()))
        return opening, opening + ONE_DAY

    def next_working_instant(self, moment: datetime) -> datetime:
        return self._instant(moment).astimezone(self.timezone)

    def add_working_time(self, start: datetime, duration: timedelta | str) -> datetime:
        return (self._instant(start) + self._duration(duration)).astimezone(self.timezone)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        return self._instant(b) - self._instant(a)

    def _instant(self, moment: datetime) -> datetime:
        """``moment`` in UTC, so that arithmetic is elapsed time even in zones with daylight saving time."""
        return (self._aware(moment) if moment.tzinfo is None else moment).astimezone(UTC)


@lru_cache(maxsize=512)
def _national_holidays(year: int, include_cuti_bersama: bool) -> frozenset[date]:
    """Indonesian national holidays of ``year`` (plus *cuti bersama*, the ``government`` category), once per year."""
    categories = ("public", "government") if include_cuti_bersama else ("public",)
    return frozenset(holidays.country_holidays("ID", years=year, categories=categories))


def _zone(timezone: str | ZoneInfo) -> ZoneInfo:
    if isinstance(timezone, ZoneInfo):
        return timezone
    try:
        return ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time zone {timezone!r} is unknown; use an IANA name such as Asia/Makassar "
                         "(WITA), Asia/Jakarta (WIB) or Asia/Jayapura (WIT)") from None


def _weekday_windows(hours: OfficeHours | Mapping[int, OfficeHours],
                     workdays: Iterable[int] | None) -> dict[int, tuple[time, time]]:
    """Opening window per regular workday (Monday = 0)."""
    if isinstance(hours, Mapping):
        per_day = {int(weekday): _window_times(pair) for weekday, pair in hours.items()}
        chosen = _checked_workdays(per_day if workdays is None else workdays)
        missing = [WEEKDAY_NAMES[day] for day in chosen if day not in per_day]
        if missing:
            raise ValueError(f"workday(s) {', '.join(missing)} have no office hours; add them to the hours mapping")
        return {day: per_day[day] for day in chosen}
    window = _window_times(hours)
    return dict.fromkeys(_checked_workdays(MONDAY_TO_FRIDAY if workdays is None else workdays), window)


def _checked_workdays(workdays: Iterable[int]) -> list[int]:
    chosen = sorted(set(workdays))
    if not chosen or any(day not in range(7) for day in chosen):
        raise ValueError(f"workdays {chosen} must be one or more weekday numbers from 0 (Monday) to 6 (Sunday)")
    return chosen


def _window_times(pair: OfficeHours) -> tuple[time, time]:
    try:
        opening, closing = (value if isinstance(value, time) else time(*value) for value in pair)
    except (TypeError, ValueError):
        raise ValueError(f"office hours {pair!r} must be (open, close) such as ((8, 0), (16, 0))") from None
    if opening >= closing:
        raise ValueError(f"office hours {opening:%H:%M}-{closing:%H:%M} must open before they close")
    return opening, closing


def _most_common_window(windows: Mapping[int, tuple[time, time]]) -> tuple[time, time]:
    """The office's usual day: the most frequent window, the longer one on a tie."""
    counts = Counter(windows.values())
    return max(counts, key=lambda window: (counts[window], _length(window)))


def _length(window: tuple[time, time]) -> timedelta:
    opening, closing = window
    return datetime.combine(date.min, closing) - datetime.combine(date.min, opening)


def _parse_hours(text: Any) -> tuple[time, time]:
    match = _HOURS_RANGE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"office hours {text!r} must look like 08:00-16:00")
    hour_open, minute_open, hour_close, minute_close = map(int, match.groups())
    return _window_times(((hour_open, minute_open), (hour_close, minute_close)))


def _weekday_number(name: Any) -> int:
    key = str(name).strip().lower()[:3]
    if key not in WEEKDAY_NAMES:
        raise ValueError(f"weekday {name!r} is unknown; use mon, tue, wed, thu, fri, sat or sun")
    return WEEKDAY_NAMES.index(key)


def parse_day(value: Any) -> date:
    """A date, or an ISO date string such as ``2026-01-12``; ``ValueError`` saying so for anything else."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"day off {value!r} is not an ISO date such as 2026-01-12") from None
