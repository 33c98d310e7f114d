"""``lincah offices``: what a permit letter says about the issuing office (name, address, place, emblem, public
address, letter numbers per service), and ``lincah users profile``: a signer's position, rank and NIP.
Registered in ``api/cli.py``."""

from __future__ import annotations

from pathlib import Path

import click

from engine.config import Settings
from engine.context import EngineContext
from engine.errors import LincahError
from engine.people import offices, profiles
from engine.storage.db import engine_for, make_session_factory, transaction


def _factory() -> tuple[EngineContext, object]:
    try:
        ctx = EngineContext(settings=Settings.from_env())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return ctx, make_session_factory(engine_for(ctx.settings))


@click.group("offices", help="Offices as their letters name them (kop surat, public URL, letter numbers).")
def offices_command() -> None:
    pass


@offices_command.command("set", help="Create or change an office; only the options given change.")
@click.argument("code")
@click.option("--name", default=None, help="e.g. 'Dinas Penanaman Modal dan PTSP Provinsi Sulawesi Selatan'.")
@click.option("--address", default=None)
@click.option("--place", default=None, help="The town letters are dated in, e.g. Makassar.")
@click.option("--public-url", default=None, help="The address citizens open; the QR code points there.")
@click.option("--emblem", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help=f"PNG or JPEG, at most {offices.MAX_EMBLEM // 1024} KB.")
@click.option("--number", "numbers", multiple=True, metavar="SERVICE=PATTERN",
              help="Letter number pattern per service, e.g. fishing_vessel_permit=503/{seq:05d}/SIPI/{year} "
                   "(repeatable).")
def offices_set(code, name, address, place, public_url, emblem, numbers) -> None:
    letter_numbers = {}
    for item in numbers:
        service, sep, pattern = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: write SERVICE=PATTERN.", param_hint="--number")
        letter_numbers[service.strip()] = pattern
    ctx, factory = _factory()
    try:
        with transaction(factory) as session:
            row = offices.save(session, code, actor="cli", at=ctx.now(), name=name, address=address, place=place,
                               public_url=public_url, emblem=emblem.read_bytes() if emblem else None,
                               letter_numbers=letter_numbers or None)
            click.echo(f"{row.code}: {row.name or '-'}; {row.public_url or 'no public URL'}; emblem "
                       f"{'yes' if row.emblem_type else 'none'}; numbers {len(row.letter_numbers or {})}")
    except LincahError as exc:
        raise click.ClickException(exc.message) from exc


@offices_command.command("list", help="The offices set up so far.")
def offices_list() -> None:
    ctx, factory = _factory()
    with transaction(factory) as session:
        for row in offices.all_offices(session):
            click.echo(f"{row.code:<12} {row.name or '-'} | {row.public_url or '-'}")


@click.command("profile", help="Set a staff member's position (jabatan), rank (pangkat/golongan) and 18-digit NIP.")
@click.argument("username")
@click.option("--position", default=None, help="e.g. 'Kepala Dinas'.")
@click.option("--rank", default=None, help="e.g. 'Pembina Utama Muda (IV/c)'.")
@click.option("--nip", default=None, help="Exactly 18 digits.")
def profile_command(username, position, rank, nip) -> None:
    ctx, factory = _factory()
    try:
        with transaction(factory) as session:
            profiles.save(session, username, actor="cli", at=ctx.now(), position=position, rank=rank, nip=nip)
            who = profiles.signer(session, username)
            click.echo(f"{who.username}: {who.position or '-'}; {who.rank or '-'}; NIP {who.nip or '-'}")
    except LincahError as exc:
        raise click.ClickException(exc.message) from exc
