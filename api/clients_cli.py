"""``lincah clients``: API clients — the programs (external-task workers, systems sending messages) that call
``/engine-rest``, each scoped to topics, messages and offices.

``add`` and ``rotate`` print the secret once, alone on the last line of their output, so a script can take it with
``tail -n 1``; Lincah keeps only its hash. Registered in ``api/cli.py`` with ``main.add_command(clients_command)``.
"""

from __future__ import annotations

import click

from engine.config import Settings
from engine.context import EngineContext
from engine.errors import LincahError
from engine.integration import clients
from engine.storage.db import engine_for, make_session_factory, transaction


def _factory() -> tuple[EngineContext, object]:
    try:
        ctx = EngineContext(settings=Settings.from_env())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return ctx, make_session_factory(engine_for(ctx.settings))


def _scope(row) -> str:
    return (f"topics {', '.join(row.topics) or '-'}; messages {', '.join(row.messages) or '-'}; "
            f"offices {', '.join(row.jurisdictions) or 'all'}")


@click.group("clients", help="API clients: programs that call /engine-rest (external-task workers, messages).")
def clients_command() -> None:
    pass


@clients_command.command("add", help="Create an API client; its secret is printed once, on the last line.")
@click.argument("name")
@click.option("--topic", "topics", multiple=True, help="External-task topic it may fetch (repeatable).")
@click.option("--message", "messages", multiple=True, help="Message it may correlate (repeatable).")
@click.option("--jurisdiction", "jurisdictions", multiple=True,
              help="Office whose work it may see (repeatable; none: every office).")
@click.option("--actor", default="cli", show_default=True, help="Who is recorded as creating it.")
def add(name, topics, messages, jurisdictions, actor) -> None:
    ctx, factory = _factory()
    try:
        with transaction(factory) as session:
            row, secret = clients.add(session, ctx, name, topics=topics, messages=messages,
                                      jurisdictions=jurisdictions, actor=actor)
            click.echo(f"created API client {row.name}: {_scope(row)}")
    except LincahError as exc:
        raise click.ClickException(exc.message) from None
    click.echo("secret (shown once; Lincah keeps only its hash):")
    click.echo(secret)


@clients_command.command("list", help="The API clients, their scopes and whether they are active.")
def list_clients() -> None:
    ctx, factory = _factory()
    with transaction(factory) as session:
        for row in clients.all_clients(session):
            state = "active" if row.active else f"revoked {row.revoked_at:%Y-%m-%d %H:%M}"
            click.echo(f"{row.name}\t{state}\t{_scope(row)}")


@clients_command.command("rotate", help="Give a client a new secret (printed once, last line); the old one stops "
                                        "working at once.")
@click.argument("name")
@click.option("--actor", default="cli", show_default=True)
def rotate(name, actor) -> None:
    ctx, factory = _factory()
    try:
        with transaction(factory) as session:
            row, secret = clients.rotate(session, ctx, name, actor=actor)
            click.echo(f"new secret for {row.name} (shown once):")
    except LincahError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(secret)


@clients_command.command("revoke", help="Stop a client: its secret no longer works.")
@click.argument("name")
@click.option("--actor", default="cli", show_default=True)
def revoke(name, actor) -> None:
    ctx, factory = _factory()
    try:
        with transaction(factory) as session:
            clients.revoke(session, ctx, name, actor=actor)
    except LincahError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"revoked {name}")
