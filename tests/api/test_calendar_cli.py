"""``lincah calendar``: an office administrator checks an edited calendars file and sees what it means."""

from __future__ import annotations

from click.testing import CliRunner

from api.cli import main as cli

CALENDARS = """
[office.sinjai]
days_off = {2026-02-27 = "Hari Jadi Kabupaten Sinjai"}

[office.jayawijaya]
timezone = "Asia/Jayapura"
"""


def _run(tmp_path, *args, text=CALENDARS):
    path = tmp_path / "instance" / "calendars.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text, encoding="utf-8")
    env = {"LINCAH_INSTANCE_PATH": str(tmp_path / "instance"), "LINCAH_CALENDARS": None, "LINCAH_TIMEZONE": None}
    return CliRunner().invoke(cli, ["calendar", *args], env=env)


def test_check_names_the_offices_with_a_calendar_of_their_own(tmp_path):
    result = _run(tmp_path, "check")
    assert result.exit_code == 0, result.output
    assert "valid; 2 office(s) with a calendar of their own: jayawijaya, sinjai" in result.output


def test_check_refuses_a_typo_and_says_where(tmp_path):
    result = _run(tmp_path, "check", text="[office.sinjai]\ndays_of = [2026-02-27]\n")
    assert result.exit_code == 1
    assert "[office.sinjai]: unknown calendar setting(s) days_of" in result.output


def test_check_without_a_file_explains_the_default(tmp_path):
    result = _run(tmp_path, "check", text=None)
    assert result.exit_code == 0 and "no such file" in result.output and "Asia/Makassar" in result.output


def test_show_lists_the_local_holiday_beside_the_national_ones(tmp_path):
    result = _run(tmp_path, "show", "sinjai", "--year", "2026")
    assert result.exit_code == 0, result.output
    assert "2026-02-27 Fri  Hari Jadi Kabupaten Sinjai" in result.output
    assert "2026-08-17 Mon  Independence Day" in result.output
    assert "fri: 08:00-16:00" in result.output


def test_due_counts_on_the_offices_calendar(tmp_path):
    sinjai = _run(tmp_path, "due", "sinjai", "P1D", "--start", "2026-02-26T10:00")
    bone = _run(tmp_path, "due", "bone", "P1D", "--start", "2026-02-26T10:00")
    papua = _run(tmp_path, "due", "jayawijaya", "PT1H", "--start", "2026-02-26T15:30")
    assert sinjai.output.startswith("2026-03-02 10:00 WITA")
    assert bone.output.startswith("2026-02-27 10:00 WITA")
    assert papua.output.startswith("2026-02-27 08:30 WIT")


def test_a_start_that_is_not_a_date_and_time_names_the_option_and_the_format(tmp_path):
    result = _run(tmp_path, "due", "sinjai", "P1D", "--start", "2026-2-26")
    assert result.exit_code == 2
    assert "--start" in result.output and "'2026-2-26' is not a date and time" in result.output
    assert "YYYY-MM-DDTHH:MM" in result.output and "Traceback" not in result.output
