"""``lincah migrate plan|dry-run|run|rollback``: moving running applications to another version of their service
(``engine/casework/migration.py`` says what is kept and what stops a move). Registered in ``api/cli.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.casework import migration, migration_batch
from engine.config import Settings
from engine.context import EngineContext
from engine.errors import LincahError
from engine.storage.db import engine_for, make_session_factory, transaction
from engine.storage.models import Instance


def _setup():
    try:
        ctx = EngineContext(settings=Settings.from_env())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return ctx, make_session_factory(engine_for(ctx.settings))


def _plan(ctx, factory, service: str, source: int, target: int, plan_file: Path | None, maps: tuple[str, ...]):
    with transaction(factory) as session:
        plan = migration.default_plan(session, ctx, service, source, target)
    if plan_file is not None:
        try:
            plan.mapping.update(json.loads(plan_file.read_text())["mapping"])
        except (ValueError, KeyError, TypeError) as exc:
            raise click.ClickException(f"{plan_file}: not a plan written by `lincah migrate plan` ({exc})") from None
    for item in maps:
        old, sep, new = item.partition("=")
        if not sep or not old:
            raise click.BadParameter(f"{item!r}: write OLD=NEW (or OLD= for nowhere)", param_hint="--map")
        plan.mapping[old] = new or None
    return plan


def _common(function):
    for option in reversed((
        click.argument("service"),
        click.option("--from", "source", type=int, required=True, help="Version the applications are on."),
        click.option("--to", "target", type=int, required=True, help="Version to move them to."),
        click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="A plan written by `lincah migrate plan` (edited for renamed or split steps)."),
        click.option("--map", "maps", multiple=True, help="OLD=NEW: where an element of the old version goes "
                     "(repeatable; overrides the plan)."),
    )):
        function = option(function)
    return function


@click.group("migrate", help="Move running applications to another version of their service.")
def migrate_command() -> None:
    pass


@migrate_command.command("plan", help="Print the default plan (every element to the one with the same id) as JSON "
                         "to edit and give back with --plan.")
@_common
def plan_command(service, source, target, plan_file, maps) -> None:
    ctx, factory = _setup()
    try:
        plan = _plan(ctx, factory, service, source, target, plan_file, maps)
    except LincahError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({"service": plan.service, "from": plan.source, "to": plan.target,
                           "mapping": plan.mapping}, indent=2, ensure_ascii=False))


@migrate_command.command("dry-run", help="Say for every running application whether it can move, and why not. "
                         "Changes nothing.")
@_common
def dry_run_command(service, source, target, plan_file, maps) -> None:
    ctx, factory = _setup()
    try:
        plan = _plan(ctx, factory, service, source, target, plan_file, maps)
        with transaction(factory) as session:
            result = migration_batch.dry_run(session, ctx, plan)
    except LincahError as exc:
        raise click.ClickException(exc.message) from None
    for verdict in result.verdicts:
        where = ", ".join(verdict.steps) or "-"
        click.echo(f"{verdict.registration_no}  at {where}: "
                   + ("can move" if verdict.movable else "stays — " + "; ".join(verdict.reasons)))
    click.echo("per step:")
    for step, counts in result.by_step().items():
        click.echo(f"  {step}: {counts['movable']} can move, {counts['blocked']} stay")
    click.echo(f"{result.movable} of {len(result.verdicts)} application(s) can move from version {source} to {target}")


@migrate_command.command("run", help="Move every application that can move, one transaction each (run again after "
                         "an interruption: only the rest move).")
@_common
@click.option("--note", default="", help="Why (recorded on each application's history).")
@click.option("--actor", default="cli", show_default=True, help="Who is recorded as moving them.")
def run_command(service, source, target, plan_file, maps, note, actor) -> None:
    ctx, factory = _setup()
    try:
        plan = _plan(ctx, factory, service, source, target, plan_file, maps)
        with transaction(factory) as session:
            pending = len(migration_batch.waiting_on(session, service, source))
        with click.progressbar(length=max(pending, 1), label="moving", file=sys.stderr) as bar:
            report = migration_batch.run(factory, ctx, plan, actor=actor, note=note, progress=bar.update)
    except LincahError as exc:
        raise click.ClickException(exc.message) from None
    for instance_id, why in sorted(report.refused.items()):
        click.echo(f"stayed: application {instance_id}: {why}")
    click.echo(f"moved {len(report.moved)}, stayed {len(report.refused)}, busy (run again) {len(report.busy)}")


@migrate_command.command("rollback", help="Move an application back to the version it came from, while nothing "
                         "happened to it since.")
@click.argument("registration_no")
@click.option("--actor", default="cli", show_default=True)
def rollback_command(registration_no, actor) -> None:
    ctx, factory = _setup()
    try:
        with transaction(factory) as session:
            instance = session.query(Instance).filter_by(registration_no=registration_no).one_or_none()
            if instance is None:
                raise click.ClickException(f"no application {registration_no}")
            migration.roll_back(session, ctx, instance, actor=actor)
            version = instance.definition.version
    except LincahError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{registration_no} is back on version {version}")
