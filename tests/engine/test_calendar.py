"""Working-time calendar: known Indonesian dates, configuration, and the laws SLA clocks rely on.

Holiday facts are read from the real ``holidays`` package, so a change in its data fails here first with a clear
message, not as a silently wrong deadline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import PROJECT_ROOT
from engine.sla.calendar import (
    TwentyFourSeven,
    WorkingCalendar,
    calendar_from_config,
    parse_sla_duration,
)
from engine.sla.office_calendars import OfficeCalendars, year_overview

WITA = ZoneInfo("Asia/Makassar")
H = timedelta(hours=1)


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


@cache
def id_holidays(year: int, cuti_bersama: bool = True) -> dict[date, str]:
    categories = ("public", "government") if cuti_bersama else ("public",)
    return dict(holidays.country_holidays("ID", years=year, categories=categories))


# --- SLA durations ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("PT4H", 4 * H),
    ("P5D", 40 * H),
    ("P1DT2H", 10 * H),
    ("PT30M", timedelta(minutes=30)),
    ("P1W", 40 * H),
    ("P2W3D", 104 * H),
    ("PT1H30M15S", timedelta(hours=1, minutes=30, seconds=15)),
    ("P0.5D", 4 * H),
    (" p2d ", 16 * H),
    ("P0D", timedelta(0)),
])
def test_sla_durations_are_working_time_with_eight_hour_days(text, expected):
    assert parse_sla_duration(text) == expected


def test_a_working_day_is_as_long_as_the_offices_day():
    assert parse_sla_duration("P2D", working_day=timedelta(hours=7)) == 14 * H
    assert parse_sla_duration("P1W", working_day=6 * H, working_week=36 * H) == 36 * H


def test_the_same_sla_text_read_for_two_offices_keeps_each_offices_day():
    # Read texts are kept (a service's few SLAs are read on every step): the office's day is part of the answer.
    for _ in range(2):
        assert parse_sla_duration("P1W") == 40 * H
        assert parse_sla_duration("P1W", working_day=7 * H) == 35 * H
        assert parse_sla_duration("P1W", working_day=6 * H, working_week=36 * H) == 36 * H


@pytest.mark.parametrize("value", [["P2D"], {"days": 2}, 2, None])
def test_an_sla_that_is_not_text_is_refused_like_any_other(value):
    with pytest.raises(ValueError, match="is not an ISO-8601 duration"):
        parse_sla_duration(value)


@pytest.mark.parametrize("text", ["abc", "", "P", "PT", "P1DT", "5 days", "-P1D", "P1H", "PT1D", "P1D2H", "2D"])
def test_junk_sla_is_rejected_with_an_example_of_what_to_write(text):
    with pytest.raises(ValueError) as error:
        parse_sla_duration(text)
    assert str(error.value) == f"sla {text!r} is not an ISO-8601 duration such as P2D or PT4H"


@pytest.mark.parametrize("text", ["P1M", "P1Y", "P1Y2D", "P2MT4H"])
def test_months_and_years_are_rejected_because_they_have_no_fixed_working_days(text):
    with pytest.raises(ValueError, match="months or years.*P20D"):
        parse_sla_duration(text)


def test_absurdly_long_sla_is_a_value_error():
    with pytest.raises(ValueError, match="longer than any calendar"):
        parse_sla_duration("P999999999999D")


def test_minutes_after_t_are_not_months():
    assert parse_sla_duration("PT1M") == timedelta(minutes=1)


def test_calendar_parses_with_its_own_day_and_week():
    long_friday = WorkingCalendar(hours={d: ((7, 30), (16, 0)) for d in range(4)} | {4: ((7, 30), (16, 30))})
    assert long_friday.day_length == timedelta(hours=8, minutes=30)
    assert long_friday.week_length == timedelta(hours=43)
    assert long_friday.parse_duration("P2D") == 17 * H
    assert long_friday.parse_duration("P1W") == 43 * H
    assert TwentyFourSeven().parse_duration("P1W") == timedelta(days=7)


def test_negative_or_unreadable_durations_are_refused():
    calendar = WorkingCalendar()
    with pytest.raises(ValueError, match="cannot be negative"):
        calendar.add_working_time(wita(2026, 7, 10, 9), -H)
    with pytest.raises(ValueError, match="not an ISO-8601 duration"):
        calendar.add_working_time(wita(2026, 7, 10, 9), "two days")


# --- known dates --------------------------------------------------------------------------------------------------


def test_national_holidays_are_not_working_days():
    calendar = WorkingCalendar()
    assert id_holidays(2026)[date(2026, 8, 17)] == "Independence Day"
    assert id_holidays(2027)[date(2027, 1, 1)] == "New Year's Day"
    assert not calendar.is_working_day(date(2026, 8, 17))  # a Monday
    assert not calendar.is_working_day(date(2027, 1, 1))  # a Friday
    assert calendar.is_working_day(date(2026, 8, 18))
    assert not calendar.is_working_day(date(2026, 8, 15))  # Saturday


def test_friday_afternoon_plus_two_hours_is_monday_nine():
    assert WorkingCalendar().add_working_time(wita(2026, 7, 10, 15), "PT2H") == wita(2026, 7, 13, 9)


def test_independence_day_monday_pushes_the_deadline_to_tuesday():
    assert WorkingCalendar().add_working_time(wita(2026, 8, 14, 15), "PT2H") == wita(2026, 8, 18, 9)


def test_sla_started_before_idul_fitri_waits_out_the_holiday_and_cuti_bersama():
    ramadan_2026 = id_holidays(2026)
    assert ramadan_2026[date(2026, 3, 21)] == "Eid al-Fitr"
    closed = [day for day in (date(2026, 3, 17) + timedelta(days=n) for n in range(1, 9))
              if day.weekday() >= 5 or day in ramadan_2026]
    assert closed == [date(2026, 3, 18) + timedelta(days=n) for n in range(7)]  # Nyepi, Lebaran, cuti bersama
    calendar = WorkingCalendar()
    # Tuesday 17 March is the last working day: six hours there, two after the run of days off.
    assert calendar.add_working_time(wita(2026, 3, 17, 10), "P1D") == wita(2026, 3, 25, 10)
    # Filed on the eve itself (a cuti bersama day): the clock starts when the office reopens.
    assert calendar.add_working_time(wita(2026, 3, 20, 10), "P1D") == wita(2026, 3, 25, 16)
    assert calendar.working_time_between(wita(2026, 3, 17, 16), wita(2026, 3, 25, 8)) == timedelta(0)


def test_offices_open_during_cuti_bersama_count_those_days():
    assert date(2026, 3, 18) not in id_holidays(2026, cuti_bersama=False)
    open_office = WorkingCalendar(include_government_holidays=False)
    assert open_office.add_working_time(wita(2026, 3, 17, 10), "P1D") == wita(2026, 3, 18, 10)
    assert not open_office.is_working_day(date(2026, 3, 19))  # Nyepi itself is a public holiday


def test_deadlines_cross_christmas_and_the_year_end():
    assert {date(2026, 12, 24), date(2026, 12, 25)} <= set(id_holidays(2026))
    calendar = WorkingCalendar()
    assert calendar.add_working_time(wita(2026, 12, 23, 15), "PT2H") == wita(2026, 12, 28, 9)
    assert calendar.add_working_time(wita(2026, 12, 31, 15), "PT2H") == wita(2027, 1, 4, 9)
    assert calendar.working_time_between(wita(2026, 12, 31, 8), wita(2027, 1, 5, 8)) == 16 * H


def test_utc_input_is_read_in_the_office_zone_and_answered_there():
    friday_3pm_wita = datetime(2026, 7, 10, 7, 0, tzinfo=UTC)
    due = WorkingCalendar().add_working_time(friday_3pm_wita, "PT2H")
    assert due == datetime(2026, 7, 13, 1, 0, tzinfo=UTC)
    assert due.tzinfo == WITA and due.hour == 9


def test_a_jakarta_office_counts_in_wib():
    jakarta = WorkingCalendar("Asia/Jakarta")
    due = jakarta.add_working_time(wita(2026, 7, 10, 16), "PT2H")  # 15:00 WIB
    assert due == datetime(2026, 7, 13, 9, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_naive_datetimes_are_office_local_time():
    calendar = WorkingCalendar()
    assert calendar.add_working_time(datetime(2026, 7, 10, 15), "PT2H") == wita(2026, 7, 13, 9)
    assert calendar.working_time_between(datetime(2026, 7, 10, 15), wita(2026, 7, 10, 16)) == H


def test_is_working_day_reads_a_datetime_in_the_office_zone():
    sunday_night_utc = datetime(2026, 7, 12, 20, 0, tzinfo=UTC)  # Monday 04:00 WITA
    assert WorkingCalendar().is_working_day(sunday_night_utc)


@pytest.mark.parametrize(("start", "due"), [
    (wita(2026, 7, 11, 10), wita(2026, 7, 13, 9)),  # Saturday
    (wita(2026, 7, 13, 6), wita(2026, 7, 13, 9)),  # before opening
    (wita(2026, 7, 13, 17), wita(2026, 7, 14, 9)),  # after closing
])
def test_a_start_outside_office_hours_counts_from_the_next_opening(start, due):
    assert WorkingCalendar().add_working_time(start, "PT1H") == due


def test_zero_duration_keeps_an_open_office_instant_and_otherwise_moves_to_the_opening():
    calendar = WorkingCalendar()
    assert calendar.add_working_time(wita(2026, 7, 10, 11, 17), timedelta(0)) == wita(2026, 7, 10, 11, 17)
    assert calendar.add_working_time(wita(2026, 7, 10, 16), "PT0S") == wita(2026, 7, 10, 16)
    assert calendar.add_working_time(wita(2026, 7, 11, 10), timedelta(0)) == wita(2026, 7, 13, 8)
    assert calendar.next_working_instant(wita(2026, 7, 10, 16, 0, 1)) == wita(2026, 7, 13, 8)


def test_work_that_ends_at_closing_time_is_due_at_closing_time():
    calendar = WorkingCalendar()
    assert calendar.add_working_time(wita(2026, 7, 13, 8), "P1D") == wita(2026, 7, 13, 16)
    assert calendar.add_working_time(wita(2026, 7, 13, 8), "P1W") == wita(2026, 7, 17, 16)
    assert calendar.add_working_time(wita(2026, 7, 13, 8), "P5DT1M") == wita(2026, 7, 20, 8, 1)


def test_working_time_between_is_signed():
    calendar = WorkingCalendar()
    friday, monday = wita(2026, 7, 10, 15), wita(2026, 7, 13, 9)
    assert calendar.working_time_between(friday, monday) == 2 * H
    assert calendar.working_time_between(monday, friday) == -2 * H
    assert calendar.working_time_between(wita(2026, 7, 11, 9), wita(2026, 7, 12, 15)) == timedelta(0)


def test_office_hours_of_a_day():
    calendar = WorkingCalendar()
    assert calendar.office_hours(date(2026, 7, 13)) == (wita(2026, 7, 13, 8), wita(2026, 7, 13, 16))
    assert calendar.office_hours(date(2026, 8, 17)) is None


def test_local_days_off_are_skipped():
    calendar = WorkingCalendar(extra_days_off=[date(2026, 7, 13)])
    assert not calendar.is_working_day(date(2026, 7, 13))
    assert calendar.add_working_time(wita(2026, 7, 10, 15), "PT2H") == wita(2026, 7, 14, 9)


def test_extra_working_days_open_the_office_even_on_a_saturday_or_holiday():
    calendar = WorkingCalendar(extra_working_days=[date(2026, 7, 11), date(2026, 8, 17)])
    assert calendar.add_working_time(wita(2026, 7, 10, 15), "PT2H") == wita(2026, 7, 11, 9)
    assert calendar.office_hours(date(2026, 8, 17)) == (wita(2026, 8, 17, 8), wita(2026, 8, 17, 16))


def test_a_day_cannot_be_both_off_and_working():
    with pytest.raises(ValueError, match="both a day off and a working day"):
        WorkingCalendar(extra_days_off=[date(2026, 7, 11)], extra_working_days=[date(2026, 7, 11)])


def test_a_longer_friday_is_counted():
    hours = {d: ((7, 30), (16, 0)) for d in range(4)} | {4: ((7, 30), (16, 30))}
    calendar = WorkingCalendar(hours=hours)
    assert calendar.working_time_between(wita(2026, 7, 13, 7, 30), wita(2026, 7, 18)) == 43 * H
    assert calendar.add_working_time(wita(2026, 7, 17, 16), "PT1H") == wita(2026, 7, 20, 8)


def test_spans_of_years_match_counting_day_by_day():
    calendar = WorkingCalendar()
    start = wita(2024, 1, 2, 9, 30)
    due = calendar.add_working_time(start, "P2500D")
    assert due.year == 2034
    assert reference_between(ORACLES["makassar"], start, due) == 2500 * 8 * H
    assert calendar.working_time_between(start, due) == 2500 * 8 * H


# --- configuration ------------------------------------------------------------------------------------------------


def test_calendar_from_a_config_mapping():
    calendar = calendar_from_config({
        "timezone": "Asia/Jakarta",
        "office_hours": "07:30-15:30",
        "days_off": ["2026-07-13", date(2026, 7, 14)],
        "extra_working_days": ["2026-07-18"],
        "government_holidays": False,
    })
    assert isinstance(calendar, WorkingCalendar)
    assert calendar.timezone == ZoneInfo("Asia/Jakarta")
    assert calendar.day_length == 8 * H
    assert calendar.include_government_holidays is False
    friday = datetime(2026, 7, 10, 15, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert calendar.add_working_time(friday, "PT1H") == datetime(2026, 7, 15, 8, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert calendar.is_working_day(date(2026, 7, 18))


def test_per_weekday_office_hours_from_config():
    calendar = WorkingCalendar.from_config({"office_hours": {"mon": "08:00-16:00", "fri": "08:00-11:00",
                                                             "saturday": "09:00-12:00"}})
    assert [calendar.is_working_day(date(2026, 7, 13) + timedelta(days=n)) for n in range(7)] == [
        True, False, False, False, True, True, False]
    assert calendar.office_hours(date(2026, 7, 18))[1].time() == time(12)


def test_24x7_from_config():
    calendar = calendar_from_config({"calendar": "24x7", "timezone": "Asia/Jayapura"})
    assert isinstance(calendar, TwentyFourSeven)
    assert calendar.timezone == ZoneInfo("Asia/Jayapura")


@pytest.mark.parametrize(("config", "message"), [
    ({"days_of": ["2026-01-12"]}, "unknown calendar setting.*days_of"),
    ({"office_hours": "8 to 4"}, "must look like 08:00-16:00"),
    ({"office_hours": "16:00-08:00"}, "must open before they close"),
    ({"days_off": ["12/01/2026"]}, "not an ISO date"),
    ({"timezone": "WITA"}, "time zone 'WITA' is unknown"),
    ({"workdays": ["mon", "funday"]}, "weekday 'funday' is unknown"),
    ({"office_hours": {"mon": "08:00-16:00"}, "workdays": ["mon", "tue"]}, "tue have no office hours"),
    ({"calendar": "lunar"}, "calendar 'lunar' is unknown"),
])
def test_bad_config_says_what_to_fix(config, message):
    with pytest.raises(ValueError, match=message):
        calendar_from_config(config)


# --- 24x7 ---------------------------------------------------------------------------------------------------------


def test_24x7_counts_plain_elapsed_time():
    calendar = TwentyFourSeven()
    assert calendar.add_working_time(wita(2026, 7, 10, 15), "PT2H") == wita(2026, 7, 10, 17)
    assert calendar.add_working_time(wita(2026, 8, 16, 15), "P1D") == wita(2026, 8, 17, 15)
    assert calendar.working_time_between(wita(2026, 7, 10, 15), wita(2026, 7, 13, 9)) == 66 * H
    assert calendar.is_working_day(date(2026, 8, 17))
    due = calendar.add_working_time(datetime(2026, 7, 10, 7, tzinfo=UTC), "PT1H")
    assert due.tzinfo == WITA and due.hour == 16


def test_24x7_is_elapsed_time_even_across_daylight_saving():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    calendar = TwentyFourSeven(amsterdam)
    before = datetime(2026, 3, 28, 12, tzinfo=amsterdam)
    assert calendar.add_working_time(before, "P1D") == datetime(2026, 3, 29, 13, tzinfo=amsterdam)
    assert calendar.working_time_between(before, datetime(2026, 3, 29, 12, tzinfo=amsterdam)) == 23 * H


# --- laws ---------------------------------------------------------------------------------------------------------
# An independent, slow oracle: walk every day and clip it to its office hours.

LOCAL_DAYS_OFF = [date(year, 11, 9) for year in range(2024, 2032)]  # e.g. a city anniversary
WORKED_SATURDAYS = [date(2025, 3, 29), date(2027, 5, 8), date(2028, 12, 23), date(2029, 8, 18)]
LONG_FRIDAY = {d: ((7, 30), (16, 0)) for d in range(4)} | {4: ((7, 30), (16, 30))}

SPECS = {
    "makassar": {},
    "jakarta_long_friday": {"timezone": "Asia/Jakarta", "hours": LONG_FRIDAY, "extra_days_off": LOCAL_DAYS_OFF,
                            "extra_working_days": [*WORKED_SATURDAYS, date(2026, 8, 17)],
                            "include_government_holidays": False},
    "jayapura_six_days": {"timezone": "Asia/Jayapura", "hours": ((8, 0), (14, 0)), "workdays": range(6)},
}
CALENDARS = {name: WorkingCalendar(**spec) for name, spec in SPECS.items()}


class Oracle:
    def __init__(self, spec: dict, standard: tuple[tuple[int, int], tuple[int, int]]):
        self.zone = ZoneInfo(spec.get("timezone", "Asia/Makassar"))
        hours = spec.get("hours", ((8, 0), (16, 0)))
        workdays = spec.get("workdays", hours.keys() if isinstance(hours, dict) else range(5))
        self.hours = {d: hours[d] if isinstance(hours, dict) else hours for d in workdays}
        self.standard = standard
        self.off = set(spec.get("extra_days_off", ()))
        self.worked = set(spec.get("extra_working_days", ()))
        self.cuti_bersama = spec.get("include_government_holidays", True)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        if day not in self.worked and (day in self.off or day.weekday() not in self.hours
                                       or day in id_holidays(day.year, self.cuti_bersama)):
            return None
        (h1, m1), (h2, m2) = self.hours.get(day.weekday(), self.standard)
        return datetime.combine(day, time(h1, m1)), datetime.combine(day, time(h2, m2))

    def wall(self, moment: datetime) -> datetime:
        return moment if moment.tzinfo is None else moment.astimezone(self.zone).replace(tzinfo=None)


ORACLES = {
    "makassar": Oracle(SPECS["makassar"], ((8, 0), (16, 0))),
    "jakarta_long_friday": Oracle(SPECS["jakarta_long_friday"], ((7, 30), (16, 0))),
    "jayapura_six_days": Oracle(SPECS["jayapura_six_days"], ((8, 0), (14, 0))),
}


def reference_between(oracle: Oracle, a: datetime, b: datetime) -> timedelta:
    start, end = oracle.wall(a), oracle.wall(b)
    if end < start:
        return -reference_between(oracle, b, a)
    total, day = timedelta(0), start.date()
    while day <= end.date():
        if (window := oracle.window(day)) is not None:
            total += max(min(end, window[1]) - max(start, window[0]), timedelta(0))
        day += timedelta(days=1)
    return total


LAWS = settings(max_examples=200, deadline=None)
ZONES = [ZoneInfo(name) for name in ("UTC", "Asia/Makassar", "Asia/Jakarta", "Asia/Jayapura", "Europe/Amsterdam")]
moments = st.one_of(
    st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31, 23, 59), timezones=st.sampled_from(ZONES),
                 allow_imaginary=False),
    st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31, 23, 59)),
)
durations = st.integers(0, 200 * 60).map(lambda minutes: timedelta(minutes=minutes))
calendar_names = st.sampled_from(sorted(SPECS))


@LAWS
@given(calendar_names, moments, durations)
def test_law_adding_then_measuring_gives_the_duration_back(name, a, d):
    calendar = CALENDARS[name]
    due = calendar.add_working_time(a, d)
    assert calendar.working_time_between(a, due) == d
    assert reference_between(ORACLES[name], a, due) == d


@LAWS
@given(calendar_names, moments, durations)
def test_law_deadlines_fall_inside_office_hours_in_the_office_zone(name, a, d):
    calendar = CALENDARS[name]
    due = calendar.add_working_time(a, d)
    assert due.tzinfo == calendar.timezone
    opening, closing = ORACLES[name].window(due.date()) or pytest.fail(f"{due} is not on a working day")
    wall = due.replace(tzinfo=None)
    if d:
        assert opening < wall <= closing  # closing time counts; an opening is reported as the previous closing
    else:
        assert opening <= wall <= closing
        assert due == calendar.next_working_instant(a)
        assert wall >= ORACLES[name].wall(a)


@LAWS
@given(calendar_names, moments, durations, durations)
def test_law_longer_durations_never_end_earlier(name, a, d1, d2):
    calendar = CALENDARS[name]
    shorter, longer = sorted((d1, d2))
    assert calendar.add_working_time(a, shorter) <= calendar.add_working_time(a, longer)


@LAWS
@given(calendar_names, moments, durations, durations)
def test_law_adding_in_two_steps_equals_adding_the_sum(name, a, d1, d2):
    calendar = CALENDARS[name]
    in_steps = calendar.add_working_time(calendar.add_working_time(a, d1), d2)
    assert in_steps == calendar.add_working_time(a, d1 + d2)


@LAWS
@given(calendar_names, moments, moments, moments)
def test_law_working_time_between_chains_and_is_signed(name, a, b, c):
    calendar = CALENDARS[name]
    ab, bc = calendar.working_time_between(a, b), calendar.working_time_between(b, c)
    assert ab + bc == calendar.working_time_between(a, c)
    assert calendar.working_time_between(b, a) == -ab


@settings(max_examples=60, deadline=None)
@given(calendar_names, moments, moments)
def test_law_working_time_between_matches_counting_day_by_day(name, a, b):
    assert CALENDARS[name].working_time_between(a, b) == reference_between(ORACLES[name], a, b)


@settings(max_examples=60, deadline=None)
@given(calendar_names, moments, st.integers(0, 3 * 250 * 8 * 60).map(lambda m: timedelta(minutes=m)))
def test_law_years_long_durations_match_counting_day_by_day(name, a, d):
    due = CALENDARS[name].add_working_time(a, d)
    assert reference_between(ORACLES[name], a, due) == d


@LAWS
@given(moments, durations, moments)
def test_law_24x7_is_plain_arithmetic(a, d, b):
    calendar = TwentyFourSeven()
    utc_a = (a if a.tzinfo else a.replace(tzinfo=WITA)).astimezone(UTC)
    utc_b = (b if b.tzinfo else b.replace(tzinfo=WITA)).astimezone(UTC)
    assert calendar.add_working_time(a, d) == utc_a + d
    assert calendar.working_time_between(a, b) == utc_b - utc_a


# --- per-office calendars (instance/calendars.toml) ------------------------------------------------------------------

OFFICES_FILE = """
[default]
days_off = [2026-12-24]

[office.sinjai]
days_off = {2026-02-27 = "Hari Jadi Kabupaten Sinjai"}

[office.bantaeng]
extra_working_days = [2026-12-24]

[office.jayawijaya]
timezone = "Asia/Jayapura"
office_hours = "07:30-15:30"
"""


def office_calendars(tmp_path, text: str | None = OFFICES_FILE, **options) -> OfficeCalendars:
    path = tmp_path / "calendars.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    return OfficeCalendars(path, "Asia/Makassar", **options)


def test_without_a_file_every_office_keeps_the_default_calendar_in_the_installation_zone(tmp_path):
    calendars = OfficeCalendars(tmp_path / "missing.toml", "Asia/Jakarta")
    assert calendars.working("sinjai") is calendars.working(None)
    assert calendars.timezone("sinjai").key == "Asia/Jakarta"
    assert calendars.working("sinjai").add_working_time(datetime(2026, 6, 5, 15, 0), "PT2H") == \
        datetime(2026, 6, 8, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_an_office_adds_its_local_days_off_to_the_default_ones(tmp_path):
    calendars = office_calendars(tmp_path)
    sinjai, default = calendars.working("sinjai"), calendars.working("bone")
    assert not sinjai.is_working_day(date(2026, 2, 27)) and default.is_working_day(date(2026, 2, 27))
    assert sinjai.add_working_time(wita(2026, 2, 26, 10, 0), "P1D") == wita(2026, 3, 2, 10, 0)
    assert default.add_working_time(wita(2026, 2, 26, 10, 0), "P1D") == wita(2026, 2, 27, 10, 0)
    assert not sinjai.is_working_day(date(2026, 12, 24))  # the default's day off still holds in Sinjai
    assert calendars.settings("sinjai").reasons == {date(2026, 2, 27): "Hari Jadi Kabupaten Sinjai"}


def test_an_office_can_work_a_day_the_others_have_off(tmp_path):
    calendars = office_calendars(tmp_path)
    assert calendars.working("bantaeng").is_working_day(date(2026, 12, 23))
    assert not calendars.working("bone").is_working_day(date(2026, 12, 24))
    # 24 December is also cuti bersama nationally; the office's extra working day overrides both.
    assert calendars.working("bantaeng").is_working_day(date(2026, 12, 24))


def test_an_office_in_papua_has_its_own_zone_and_hours(tmp_path):
    calendars = office_calendars(tmp_path)
    papua = calendars.working("jayawijaya")
    assert papua.timezone.key == "Asia/Jayapura" and papua.day_length == 8 * H
    start = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)  # 15:00 WIT, 14:00 WITA
    # Half an hour before the 15:30 closing, half an hour from the 07:30 opening.
    assert papua.add_working_time(start, "PT1H") == datetime(2026, 6, 3, 8, 0, tzinfo=ZoneInfo("Asia/Jayapura"))
    assert calendars.plain("jayawijaya").add_working_time(start, "PT1H").tzinfo.key == "Asia/Jayapura"


def test_calendars_are_built_once_per_office(tmp_path):
    calendars = office_calendars(tmp_path)
    assert calendars.working("sinjai") is calendars.working("sinjai")
    assert calendars.plain("sinjai") is calendars.plain("sinjai")
    assert calendars.offices == ["bantaeng", "jayawijaya", "sinjai"]


def test_an_edited_file_is_picked_up_and_a_broken_edit_keeps_the_previous_calendars(tmp_path):
    calendars = office_calendars(tmp_path, recheck=0)
    path = calendars.path
    path.write_text(OFFICES_FILE + '\n[office.bone]\ndays_off = [2026-06-03]\n', encoding="utf-8")
    assert not calendars.working("bone").is_working_day(date(2026, 6, 3))
    path.write_text('[office.bone]\ndays_of = [2026-06-04]\n', encoding="utf-8")
    assert not calendars.working("bone").is_working_day(date(2026, 6, 3))  # the typo is logged, not applied
    assert calendars.working("bone").is_working_day(date(2026, 6, 4))


@pytest.mark.parametrize(("text", "message"), [
    ("[offices.sinjai]\ndays_off = []\n", "unknown section(s) offices"),
    ("[office.sinjai]\ndays_of = [2026-06-03]\n", "[office.sinjai]: unknown calendar setting(s) days_of"),
    ("[office.sinjai]\ntimezone = \"Asia/Wamena\"\n", "use an IANA name"),
    ("[office.sinjai]\ndays_off = [\"3 Juni\"]\n", "not an ISO date"),
    ("[office.sinjai]\ncalendar = \"24x7\"\n", "cannot set 'calendar'"),
    ("[default]\noffice_hours = \"8-16\"\n", "must look like 08:00-16:00"),
    ("[office.sinjai\n", "not valid TOML"),
])
def test_a_broken_file_is_refused_at_start_naming_the_file_and_what_to_fix(tmp_path, text, message):
    with pytest.raises(ValueError) as raised:
        office_calendars(tmp_path, text)
    assert message in str(raised.value) and "calendars.toml" in str(raised.value)


def test_a_year_overview_lists_the_closed_workdays_with_their_reasons(tmp_path):
    closed, opened = year_overview(office_calendars(tmp_path), "sinjai", 2026)
    reasons = dict(closed)
    assert reasons[date(2026, 2, 27)] == "Hari Jadi Kabupaten Sinjai"
    assert reasons[date(2026, 8, 17)] == id_holidays(2026)[date(2026, 8, 17)]
    assert date(2026, 2, 28) not in reasons  # a Saturday is not a closed workday
    assert opened == []


def test_the_example_calendars_file_loads():
    example = PROJECT_ROOT / "docs" / "calendars.example.toml"
    calendars = OfficeCalendars(example, "Asia/Makassar")
    assert calendars.offices == ["bone", "gowa", "sinjai"]
    assert calendars.working("gowa").office_hours(date(2026, 6, 5))[1] == wita(2026, 6, 5, 11, 30)
    assert not calendars.working("maros").is_working_day(date(2026, 12, 31))
