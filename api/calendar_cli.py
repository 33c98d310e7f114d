"""``lincah calendar``: check and read the offices' working calendars (``instance/calendars.toml``).

The calendars are edited in that file (``engine/sla/office_calendars.py`` shows its form); these commands let an office
administrator check an edit before the server picks it up and see what an office's year and deadlines look like.
Registered in ``api/cli.py`` with ``main.add_command(calendar_command)``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from engine.config import Settings
from engine.sla.calendar import WEEKDAY_NAMES
from engine.sla.office_calendars import OfficeCalendars, year_overview
from engine.storage import installation_files
from engine.storage.db import engine_for, make_session_factory, transaction


def _calendars() -> OfficeCalendars:
    try:
        settings = Settings.from_env()
        return OfficeCalendars(settings.calendars_path, settings.timezone)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("calendar", help="Offices' working calendars: office hours, time zone, local days off.")
def calendar_command() -> None:
    pass


@calendar_command.command("check", help="Read the calendars file and say whether it is valid; exit 1 if not.")
def check() -> None:
    calendars = _calendars()
    path = calendars.path
    if path is None or not path.is_file():
        click.echo(f"{path}: no such file; every office keeps the default calendar "
                   f"(Mon–Fri 08:00–16:00, {calendars.default_timezone}, national holidays)")
        return
    offices = calendars.offices
    click.echo(f"{path}: valid; {len(offices)} office(s) with a calendar of their own"
               + (f": {', '.join(offices)}" if offices else ""))


@calendar_command.command("show", help="An office's hours, time zone and the days it is closed in a year.")
@click.argument("office", required=False)
@click.option("--year", type=int, default=lambda: datetime.now().year, show_default="this year")
def show(office: str | None, year: int) -> None:
    calendars = _calendars()
    calendar = calendars.working(office)
    own = office in calendars.offices
    title = office or "default"
    click.echo(f"{title}{'' if own or office is None else ' (no section of its own: the default calendar)'}")
    click.echo(f"  time zone: {calendar.timezone.key}")
    for weekday, (opening, closing) in sorted(calendar.weekly_hours().items()):
        click.echo(f"  {WEEKDAY_NAMES[weekday]}: {opening:%H:%M}-{closing:%H:%M}")
    click.echo(f"  cuti bersama off: {'yes' if calendar.include_government_holidays else 'no'}")
    closed, opened = year_overview(calendars, office, year)
    click.echo(f"  closed on workdays in {year} ({len(closed)}):")
    for day, why in closed:
        click.echo(f"    {day:%Y-%m-%d %a}  {why}")
    if opened:
        click.echo(f"  extra working days in {year} ({len(opened)}):")
        for day, why in opened:
            click.echo(f"    {day:%Y-%m-%d %a}  {why}")


@calendar_command.command("due", help="When a step of OFFICE with target SLA (P5D, PT4H …) started at --start is due.")
@click.argument("office")
@click.argument("sla")
@click.option("--start", "started", help="Office local time such as 2026-08-14T10:00 (default: now).")
def due(office: str, sla: str, started: str | None) -> None:
    calendar = _calendars().working(office)
    try:
        start = datetime.fromisoformat(started) if started else datetime.now(calendar.timezone)
    except ValueError:
        raise click.BadParameter(f"{started!r} is not a date and time. Write it as YYYY-MM-DDTHH:MM in the office's "
                                 "time, e.g. 2026-08-14T10:00 (a date alone, 2026-08-14, means 00:00).",
                                 param_hint="--start") from None
    try:
        deadline = calendar.add_working_time(start, sla)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{deadline:%Y-%m-%d %H:%M %Z} ({deadline.isoformat()})")


@calendar_command.command("publish", help="Check FILE (default: this host's calendars file) and make it every "
                          "host's calendars: on PostgreSQL it is stored in the database, and each app host picks it "
                          "up within a minute; on SQLite it becomes the instance folder's calendars file.")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish(file: Path | None) -> None:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    source = file or settings.calendars_path
    if source is None or not Path(source).is_file():
        raise click.ClickException(f"{source}: no such file; give the calendars file to publish")
    try:
        checked = OfficeCalendars(source, settings.timezone)
    except ValueError as exc:
        raise click.ClickException(f"not published: {exc}") from None
    content = Path(source).read_bytes()
    factory = make_session_factory(engine_for(settings))
    with transaction(factory) as session:
        in_database = installation_files.shared(session)
        if in_database:
            installation_files.write(session, installation_files.CALENDARS, content)
    installation_files.copy_to(settings.calendars_path, content)
    where = "the database (every app host within a minute)" if in_database else str(settings.calendars_path)
    click.echo(f"published {source} ({len(checked.offices)} office(s) with a calendar of their own) to {where}")
