"""``lincah institutions add|list|add-operator``: campuses (``engine.people.institutions``) and their operator
accounts, for an office setting up the campuses its students come from. Registered in ``api/cli.py``."""

from __future__ import annotations

import click

from engine.config import Settings
from engine.context import EngineContext
from engine.errors import LincahError
from engine.people import institutions
from engine.people.access import ADMIN, ALL_JURISDICTIONS, Actor
from engine.storage.db import engine_for, make_session_factory, transaction

# The command line is the installation's own administrator; the audit names it "cli".
_CLI = Actor.of("cli", roles=[ADMIN], jurisdictions=[ALL_JURISDICTIONS])


def _run(action) -> None:
    try:
        ctx = EngineContext(settings=Settings.from_env())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with transaction(make_session_factory(engine_for(ctx.settings))) as session:
            action(session, ctx)
    except LincahError as exc:
        details = "; ".join(f"{field}: {problem}" for field, problem in (exc.details or {}).items()
                            ) if isinstance(exc.details, dict) else ""
        raise click.ClickException(exc.localized("en") + (f" ({details})" if details else "")) from exc


@click.group("institutions", help="Campuses whose students apply, and their operator accounts.")
def institutions_command() -> None:
    pass


@institutions_command.command("add", help="Add a campus (CODE short and lower-case, e.g. unhas).")
@click.argument("code")
@click.argument("name")
@click.option("--address", default="", help="The campus's address.")
@click.option("--email", default=None, help="The campus's e-mail address.")
def institutions_add(code: str, name: str, address: str, email: str | None) -> None:
    def action(session, ctx):
        added = institutions.create(session, ctx, _CLI, code=code, name=name, address=address, email=email)
        click.echo(f"added {added.code}: {added.name}")
    _run(action)


@institutions_command.command("list", help="Every campus, by name.")
def institutions_list() -> None:
    def action(session, _ctx):
        rows = institutions.listing(session)
        for row in rows:
            click.echo(f"{row.code:<16} {row.name}  {row.email or ''}")
        if not rows:
            click.echo("no institutions yet: lincah institutions add CODE NAME")
    _run(action)


@institutions_command.command("add-operator", help="An operator account for campus CODE.")
@click.argument("code")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "full_name", default="", help="The operator's full name.")
@click.option("--email", default=None)
def institutions_add_operator(code: str, username: str, password: str, full_name: str, email: str | None) -> None:
    def action(session, ctx):
        user = institutions.add_operator(session, ctx, _CLI, code=code, username=username, password=password,
                                         full_name=full_name, email=email)
        click.echo(f"operator {user.username} of {user.institution_code}")
    _run(action)
