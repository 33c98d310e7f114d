"""``lincah groups add|list|rename|retire``: the managed list of candidate groups (``engine.people.groups``), for
setting an office up before anyone opens the admin pages. Registered in ``api/cli.py``."""

from __future__ import annotations

import click

from engine.config import Settings
from engine.context import EngineContext
from engine.errors import LincahError
from engine.people import groups
from engine.people.access import ADMIN, ALL_JURISDICTIONS, Actor
from engine.storage.db import engine_for, make_session_factory, transaction

# The command line is the installation's own administrator; the audit names it "cli".
_CLI = Actor.of("cli", roles=[ADMIN], jurisdictions=[ALL_JURISDICTIONS])


def _factory() -> tuple[EngineContext, object]:
    try:
        ctx = EngineContext(settings=Settings.from_env())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return ctx, make_session_factory(engine_for(ctx.settings))


def _run(action) -> None:
    ctx, factory = _factory()
    try:
        with transaction(factory) as session:
            action(session, ctx)
    except LincahError as exc:
        raise click.ClickException(exc.localized("en")) from exc


@click.group("groups", help="Candidate groups: the list accounts are given groups from.")
def groups_command() -> None:
    pass


@groups_command.command("add", help="Put a group on the list (NAME as diagrams write it, e.g. verifier).")
@click.argument("name")
@click.option("--title", default="", help="What people read, e.g. 'Verifikator berkas'.")
def groups_add(name: str, title: str) -> None:
    def action(session, ctx):
        group = groups.add(session, ctx, _CLI, name, title)
        click.echo(f"added {group.name}: {group.title}")
    _run(action)


@groups_command.command("list", help="Every group, with how many active accounts have it.")
@click.option("--all", "everything", is_flag=True, help="Retired groups too.")
def groups_list(everything: bool) -> None:
    def action(session, _ctx):
        rows = groups.listing(session, include_retired=everything)
        for row in rows:
            state = "retired" if row.retired else "active"
            click.echo(f"{row.name:<24} {state:<8} {row.members:>3} account(s)  {row.title}")
        if not rows:
            click.echo("no groups yet: lincah groups add NAME --title TITLE")
    _run(action)


@groups_command.command("rename", help="Change the title of a group; its name stays.")
@click.argument("name")
@click.argument("title")
def groups_rename(name: str, title: str) -> None:
    def action(session, ctx):
        group = groups.retitle(session, ctx, _CLI, name, title)
        click.echo(f"{group.name}: {group.title}")
    _run(action)


@groups_command.command("retire", help="Take a group off the list; accounts that have it keep it.")
@click.argument("name")
def groups_retire(name: str) -> None:
    def action(session, ctx):
        group = groups.retire(session, ctx, _CLI, name)
        click.echo(f"retired {group.name}")
    _run(action)
