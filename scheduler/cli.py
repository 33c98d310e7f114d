"""``lincah scheduler``: run the periodic jobs (BPMN timers, SLA clock, e-mail) as a process of its own.

Registered in ``api/cli.py`` with ``main.add_command(scheduler_command)``. Any number may run against one
PostgreSQL database; with SQLite, run one.
"""

from __future__ import annotations

import signal
from dataclasses import replace

import click

from engine.config import Settings
from engine.context import EngineContext
from engine.observability import configure_logging
from engine.storage.db import engine_for, make_session_factory, unavailable

from .service import Intervals, SchedulerService


@click.command("scheduler", help="Run the periodic jobs: fire due BPMN timers, advance SLA clocks (notify and "
                                 "escalate breaches), send e-mail. Runs until stopped unless --once.")
@click.option("--once", is_flag=True, help="Run each job once and exit (for cron or a health check).")
@click.option("--timers-every", default=15.0, show_default=True, help="Seconds between timer runs.")
@click.option("--sla-every", default=60.0, show_default=True, help="Seconds between SLA passes.")
@click.option("--mail-every", default=30.0, show_default=True, help="Seconds between e-mail deliveries.")
@click.option("--unstaffed-every", default=300.0, show_default=True,
              help="Seconds between looks for steps nobody can work (told to the administrators).")
def scheduler_command(once: bool, timers_every: float, sla_every: float, mail_every: float,
                      unstaffed_every: float) -> None:
    # The scheduler's steps on a file (a timer, an escalation) are days apart, and its other steps happen in the
    # web processes: keeping workflows here would only hold memory, unless the environment asks for it.
    try:
        settings = Settings.from_env()
        if "live_workflows" not in settings.from_environment:
            settings = replace(settings, live_workflows=0)
        ctx = EngineContext(settings=settings)
        ctx.calendars  # noqa: B018 - a broken calendars file stops the start, not the first breach
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(ctx.settings.log_format, ctx.settings.log_level)
    engine = engine_for(ctx.settings)  # with the installation's database timeouts
    service = SchedulerService.from_settings(ctx, make_session_factory(engine),
                                             Intervals(timers=timers_every, sla=sla_every,
                                                       notifications=mail_every, unstaffed=unstaffed_every))
    try:
        if once:
            try:
                results = service.run_once()
            except Exception as exc:
                if not unavailable(exc):
                    raise
                raise click.ClickException(f"The database does not answer ({type(exc).__name__}); nothing was run. "
                                           "Check that the database server is running and LINCAH_DATABASE_URL, "
                                           "then run again.") from None
            timers, passes, mails = results["timers"], results["sla"], results["notifications"]
            click.echo(f"timers: {timers.instances} application(s), {timers.failed} failed; "
                       f"SLA: {passes.breached} step(s) breached, "
                       f"{passes.files_breached} file(s) breached, {passes.escalated} escalated, "
                       f"{passes.approved} approved automatically, {results['unstaffed']} with nobody to work them; "
                       f"e-mail: {mails.sent} sent, {mails.retrying} to retry, {mails.failed} failed; "
                       f"uploads never attached: {results['uploads']['forgotten']} forgotten")
            return
        signal.signal(signal.SIGTERM, _stop)
        click.echo("scheduler running; stop with Ctrl-C")
        service.run_forever()
    finally:
        engine.dispose()


def _stop(*_args) -> None:
    raise SystemExit(0)
