"""Which working calendar each office keeps: hours, time zone and local days off, per jurisdiction.

An installation serves a province office and its regency offices (jurisdictions, ``sulsel``, ``sinjai`` …). They share
the national holidays and usually the hours, but not everything: a regency closes on its anniversary (*hari jadi*),
an office in Papua counts in WIT, one opens at 07:30. An SLA step is counted on the calendar of the office that
holds it, so each office's settings live in one plain file that an office administrator edits without touching
code, ``instance/calendars.toml`` (``LINCAH_CALENDARS`` names another; ``docs/calendars.example.toml`` is a commented
example)::

    [default]                      # every office, unless its own section says otherwise
    timezone = "Asia/Makassar"     # IANA name: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)
    office_hours = "08:00-16:00"   # or per weekday: {mon = "07:30-16:00", fri = "07:30-11:30"}
    days_off = [2026-12-24]        # cuti bersama the holidays package does not know yet, province days off

    [office.sinjai]
    days_off = {2026-02-27 = "Hari Jadi Kabupaten Sinjai"}   # a list of dates, or dates with the reason

    [office.jayawijaya]
    timezone = "Asia/Jayapura"

Keys are those of :meth:`engine.sla.calendar.WorkingCalendar.from_config` (``timezone``, ``office_hours``,
``workdays``, ``days_off``, ``extra_working_days``, ``government_holidays``); unknown ones are refused so that a
typo cannot silently drop a day off. An office section overrides the default key by key, except that the days add
up: an office keeps the default's days off (minus the ones it names as working days) plus its own. Without the
file every office works Monday–Friday 08:00–16:00 in ``LINCAH_TIMEZONE`` with the national holidays.

Calendars are built once per office and cached; the file is looked at again (one ``stat``) at most every
``recheck`` seconds and reloaded when it changed, so a running server and scheduler pick up a new day off without a
restart. A file that does not load at start is an error that names the file and what to fix (``lincah calendar
check`` says the same before anything runs); a broken edit of a running installation is logged and the previous
calendars stay in force. A changed calendar applies to clocks started or shifted after the change: deadlines
already set are kept.
"""

from __future__ import annotations

import logging
import threading
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from engine.sla.calendar import ONE_DAY, TwentyFourSeven, WorkingCalendar, parse_day

log = logging.getLogger("lincah.calendar")

FILE_NAME = "calendars.toml"
DEFAULT_SECTION, OFFICE_SECTION = "default", "office"
_DAY_LISTS = ("days_off", "extra_working_days")


@dataclass(frozen=True)
class OfficeSettings:
    """The merged settings of one office, as plain data (what ``lincah calendar show`` prints)."""

    office: str | None  # None: the default
    config: dict
    reasons: dict  # day -> why it is off or worked, where the file says


def read_settings(path: Path | None, default_timezone: str) -> tuple[dict, dict[str, dict], dict]:
    """The ``[default]`` settings, each office's own settings and the reasons given for days, from ``path``.

    A missing file (or ``None``) is an empty configuration. Raises ``ValueError`` naming the file and the problem.
    """
    raw: dict = {}
    if path is not None and path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not valid TOML ({exc}); see docs/calendars.example.toml") from None
    unknown = sorted(set(raw) - {DEFAULT_SECTION, OFFICE_SECTION})
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {', '.join(unknown)}; use [default] and [office.<code>]")
    default = _section(path, DEFAULT_SECTION, raw.get(DEFAULT_SECTION, {}))
    default.setdefault("timezone", default_timezone)
    offices = raw.get(OFFICE_SECTION, {})
    if not isinstance(offices, Mapping):
        raise ValueError(f"{path}: [office] must hold one table per office, such as [office.sinjai]")
    own = {str(code): _section(path, f"office.{code}", values) for code, values in offices.items()}
    reasons: dict = {}
    for section in (default, *own.values()):
        for key in _DAY_LISTS:
            section[key], why = _days(path, section.get(key, []))
            reasons.update(why)
    return default, own, reasons


def merged(default: Mapping, own: Mapping) -> dict:
    """An office's settings: its own keys over the default's, days off and extra working days added up."""
    config = {**default, **{key: value for key, value in own.items() if key not in _DAY_LISTS}}
    days_off = set(own.get("days_off", ()))
    working = set(own.get("extra_working_days", ()))
    config["days_off"] = sorted((set(default.get("days_off", ())) - working) | days_off)
    config["extra_working_days"] = sorted((set(default.get("extra_working_days", ())) - days_off) | working)
    return config


def _section(path: Path | None, name: str, values: Any) -> dict:
    if not isinstance(values, Mapping):
        raise ValueError(f"{path}: [{name}] must be a table of calendar settings")
    if "calendar" in values:
        raise ValueError(f"{path}: [{name}] cannot set 'calendar': offices keep working time, a step says "
                         "calendar=24x7 in its diagram")
    return dict(values)


def _days(path: Path | None, value: Any) -> tuple[list[date], dict]:
    """A list of dates, or a table date → reason; returns the dates and the reasons."""
    items = value.items() if isinstance(value, Mapping) else ((day, None) for day in value)
    days, reasons = [], {}
    try:
        for day, reason in items:
            parsed = parse_day(day)
            days.append(parsed)
            if reason:
                reasons[parsed] = str(reason)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    return days, reasons


@dataclass(frozen=True)
class _Loaded:
    """One reading of the file, swapped whole on reload so a reader never mixes two versions."""

    default: dict
    own: dict[str, dict]
    reasons: dict
    working: dict[str | None, WorkingCalendar]
    plain: dict[str | None, TwentyFourSeven]


class OfficeCalendars:
    """The calendars of all offices of one installation, built once and cached.

    ``working(office)`` is the office's working calendar; ``plain(office)`` counts elapsed time (``calendar=24x7``)
    in the office's zone; ``timezone(office)`` is the zone its times are shown in. An office the file does not name
    (or ``None``) gets the default calendar. Raises ``ValueError`` (file and section named) for a file that does not
    load.
    """

    def __init__(self, path: Path | None, default_timezone: str, *, recheck: float = 10.0):
        self.path = Path(path) if path is not None else None
        self.default_timezone = default_timezone
        self.recheck = recheck
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._checked = time.monotonic()
        self._loaded = self._load()

    def working(self, office: str | None = None) -> WorkingCalendar:
        loaded = self._current()
        found = loaded.working.get(office)
        return found if found is not None else loaded.working[None]

    def plain(self, office: str | None = None) -> TwentyFourSeven:
        loaded = self._current()
        found = loaded.plain.get(office)
        if found is None:
            found = loaded.plain[office] = TwentyFourSeven(timezone=self.working(office).timezone)
        return found

    def timezone(self, office: str | None = None) -> ZoneInfo:
        return self.working(office).timezone

    def settings(self, office: str | None = None) -> OfficeSettings:
        """What the file says for ``office`` (the default for an office it does not name)."""
        loaded = self._current()
        own = loaded.own.get(office) if office is not None else None
        config = merged(loaded.default, own or {})
        days = set(config["days_off"]) | set(config["extra_working_days"])
        return OfficeSettings(office if own is not None else None, config,
                              {day: why for day, why in loaded.reasons.items() if day in days})

    @property
    def offices(self) -> list[str]:
        """Offices with a section of their own in the file."""
        return sorted(self._current().own)

    # --- loading ---------------------------------------------------------------------------------------------

    def _load(self) -> _Loaded:
        default, own, reasons = read_settings(self.path, self.default_timezone)
        # Every office's calendar is built now, so a mistake in any section shows at once rather than at the first
        # task of that office; offices without a section share the default calendar (and its holiday caches).
        working: dict[str | None, WorkingCalendar] = {}
        for office, values in {None: {}, **own}.items():
            try:
                working[office] = WorkingCalendar.from_config(merged(default, values))
            except ValueError as exc:
                section = DEFAULT_SECTION if office is None else f"{OFFICE_SECTION}.{office}"
                raise ValueError(f"{self.path}: [{section}]: {exc}") from None
        return _Loaded(default, own, reasons, working, {})

    def _file_stamp(self) -> tuple | None:
        if self.path is None:
            return None
        try:
            status = self.path.stat()
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def _current(self) -> _Loaded:
        now = time.monotonic()
        if now - self._checked >= self.recheck:
            self._reload_if_changed(now)
        return self._loaded

    def _reload_if_changed(self, now: float) -> None:
        with self._lock:
            if now - self._checked < self.recheck:
                return
            self._checked = now
            stamp = self._file_stamp()
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                self._loaded = self._load()
            except ValueError as exc:
                log.error("the office calendars were not reloaded; the previous ones stay in force: %s", exc)
            else:
                log.info("office calendars reloaded from %s", self.path)


def year_overview(calendars: OfficeCalendars, office: str | None, year: int) -> tuple[list, list]:
    """The days ``office`` is closed in ``year`` although they are regular workdays (national holidays, *cuti
    bersama*, local days off) and the extra days it works, each as ``(date, why)``, in date order."""
    settings = calendars.settings(office)
    calendar = calendars.working(office)
    names = holidays.country_holidays("ID", years=year, categories=_categories(calendar))
    closed, opened = [], []
    day, last = date(year, 1, 1), date(year, 12, 31)
    while day <= last:
        regular = calendar.regular_workday(day)
        if regular and not calendar.is_working_day(day):
            closed.append((day, settings.reasons.get(day) or names.get(day) or "day off"))
        elif not regular and calendar.is_working_day(day):
            opened.append((day, settings.reasons.get(day) or "extra working day"))
        day += ONE_DAY
    return closed, opened


def _categories(calendar: WorkingCalendar) -> tuple[str, ...]:
    return ("public", "government") if calendar.include_government_holidays else ("public",)
