"""The ``lincah`` command: database, lint, deploy, users (and the server, see ``serve``)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.serving import run_simple

from engine import demo as demo_data
from engine.bpmn.compiler import SourceFile
from engine.config import Settings
from engine.context import EngineContext
from engine.errors import LincahError
from engine.observability import configure_logging
from engine.people import groups as group_list
from engine.people import users as user_service
from engine.services import decisions, definitions
from engine.storage.db import engine_for, make_session_factory, transaction, upgrade
from engine.storage.models import DecisionDefinition
from scheduler.cli import scheduler_command

from .app import check_calendars, create_app
from .backup_cli import backup_command, restore_command
from .calendar_cli import calendar_command
from .clients_cli import clients_command
from .config_cli import config_command
from .fakes_cli import fakes_command
from .groups_cli import groups_command
from .institutions_cli import institutions_command
from .migrate_cli import migrate_command
from .model_folder_cli import deploy_folder, lint_folder, model_folders
from .offices_cli import offices_command, profile_command
from .server import require_free_port
from .server import run as run_server


def _settings() -> Settings:
    """The installation's settings from ``LINCAH_*``; a value that cannot be read stops the command, named."""
    try:
        return Settings.from_env()
    except ValueError as exc:
        error = click.ClickException(f"{exc} Correct the environment variable and run the command again.")
        error.exit_code = 2  # not 1: `lincah lint` exits 1 for problems in the diagrams, never for its own failure
        raise error from None


def _context() -> EngineContext:
    return EngineContext(settings=_settings())


def _factory(ctx: EngineContext):
    return make_session_factory(engine_for(ctx.settings))


def bpmn_files(paths: tuple[str, ...]) -> list[Path]:
    """Files given, and the .bpmn files found (recursively) in folders given, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.bpmn") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise click.BadParameter(f"{raw}: no such file or folder", param_hint="PATH")
    return found


def _sources(path: Path, siblings: list[Path], tables: list[Path] = ()) -> tuple[SourceFile, list[SourceFile]]:
    """The diagram, the diagrams beside it and the DMN files beside it (or given)."""
    main = SourceFile(str(path), path.read_bytes())
    supporting = [SourceFile(str(p), p.read_bytes()) for p in siblings if p != path and p.parent == path.parent]
    beside = sorted(p for p in path.parent.glob("*.dmn") if p.is_file())
    supporting += [SourceFile(str(p), p.read_bytes()) for p in dict.fromkeys([*beside, *tables])]
    return main, supporting


def _deploy_decisions(ctx, factory, tables: list[Path], actor: str) -> int:
    """``lincah deploy x.dmn``: decisions by themselves, callable by key. The number of failures (0 or 1)."""
    try:
        with transaction(factory) as session:
            for row in decisions.deploy(session, ctx, [SourceFile(str(p), p.read_bytes()) for p in tables],
                                        actor=actor):
                click.echo(f"{row.filename}: decision {row.key} version {row.version} ({row.hit_policy}) — {row.name}")
        return 0
    except LincahError as exc:
        click.echo(f"not deployed: {exc.message}", err=True)
        for problem in exc.details or []:
            if isinstance(problem, dict) and "severity" in problem:
                click.echo(f"  {problem['file']}:{problem['line'] or 0}: {problem['element_id'] or '-'}: "
                           f"{problem['severity']}: {problem['message']}", err=True)
        return 1


@click.group(help="Lincah: a BPMN workflow server for one-stop permit offices.")
def main() -> None:
    pass


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply the database migrations (creates the SQLite file when needed).")
def db_upgrade() -> None:
    settings = _settings()
    upgrade(settings.database_url)
    click.echo(f"database is up to date: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@main.command(help="Check BPMN files (or folders of them) and their forms; exit 1 if any has an error.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--forms", "forms_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder of forms.")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def lint(paths, forms_dir, quiet) -> None:
    ctx = _context()
    folders = model_folders(paths)  # a spiff-arena model folder is one service (api.model_folder_cli)
    files = [p for p in bpmn_files(paths) if p.parent not in folders]
    tables = [p for p in files if p.suffix.lower() == ".dmn"]  # decision tables named on the command line
    files = [p for p in files if p not in tables]
    errors = warnings = failed_files = 0
    if tables:
        errors, warnings, failed_files = _lint_decisions(ctx, tables, quiet)
    for folder in folders:
        folder_errors, folder_warnings = lint_folder(ctx, folder, quiet)
        errors, warnings, failed_files = errors + folder_errors, warnings + folder_warnings, \
            failed_files + bool(folder_errors)
    show_progress = len(files) > 20 and sys.stderr.isatty()
    with click.progressbar(files, label="linting", file=sys.stderr, show_pos=True) if show_progress else \
            _plain(files) as items:
        for path in items:
            main_file, supporting = _sources(path, files, tables)
            compiled = definitions.lint(ctx, main_file, supporting, definitions.form_source(ctx, path, forms_dir))
            for problem in compiled.problems.sorted():
                if not quiet:
                    click.echo(problem.as_line())
            if not quiet:
                click.echo(f"{path}: read as {compiled.flavour} BPMN")
            errors += len(compiled.problems.errors)
            warnings += len(compiled.problems.warnings)
            failed_files += bool(compiled.problems.errors)
    units = len(files) + len(tables) + len(folders)
    click.echo(f"{len(files) + len(tables)} file(s){f' and {len(folders)} model folder(s)' if folders else ''}: "
               f"{units - failed_files} deployable, {failed_files} with errors; "
               f"{errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if errors else 0)


def _lint_decisions(ctx, tables: list[Path], quiet: bool) -> tuple[int, int, int]:
    """``lincah lint x.dmn …``: the DMN files checked together, as one deployment of decisions (a decision may
    require one of another of them), each problem located by file, decision, rule and column. Returns errors,
    warnings and the number of files with errors."""
    files = [SourceFile(str(p), p.read_bytes()) for p in tables]
    with _installed_decisions(ctx) as session:
        _found, problems = decisions.lint(ctx, files, session)
    if session is None and not quiet:
        click.echo(f"note: no Lincah database at {ctx.settings.database_url}: a decision these files require "
                   "from one deployed before is reported missing (run `lincah db upgrade`, or set "
                   "LINCAH_DATABASE_URL to the installation's database).", err=True)
    for problem in problems.sorted():
        if not quiet:
            click.echo(problem.as_line())
    if not quiet:
        for path in tables:
            click.echo(f"{path}: read as DMN")
    failed = {problem.file for problem in problems.errors}
    return len(problems.errors), len(problems.warnings), sum(str(path) in failed for path in tables)


@contextmanager
def _installed_decisions(ctx):
    """A read-only look at the installation's database for ``lincah lint x.dmn``, as ``lincah deploy`` has: a table
    may require a decision deployed before (one table of a graph split over files). ``None`` when there is no
    database to look in — never created by linting (a SQLite file that does not exist stays absent) — or it is not
    migrated."""
    url = ctx.settings.database_url
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else None
    if path is not None and (path in ("", ":memory:") or not Path(path).is_file()):
        yield None
        return
    factory = _factory(ctx)
    try:
        with factory() as session:
            try:
                session.execute(select(DecisionDefinition.id).limit(1))
            except (OperationalError, ProgrammingError):  # unreachable, or no decision table yet
                session.rollback()
                yield None
                return
            try:
                yield session
            finally:
                session.rollback()  # lint writes nothing
    finally:
        factory.kw["bind"].dispose()


class _plain:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


@main.command(help="Deploy BPMN files (or folders) as new versions of their services, with the DMN files beside them; "
                   "published unless --draft. DMN files given alone are deployed as decisions callable by key.")
@click.argument("paths", nargs=-1)
@click.option("--bundled", is_flag=True, help="Also deploy the services that come with Lincah (its processes/ folder, "
                                              "with their forms), wherever it is installed.")
@click.option("--draft", is_flag=True, help="Deploy as draft: new applications keep using the published version.")
@click.option("--forms", "forms_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder of forms.")
@click.option("--actor", default="cli", show_default=True, help="Who is recorded as deploying.")
def deploy(paths, bundled, draft, forms_dir, actor) -> None:
    ctx = _context()
    if bundled:
        paths = (*paths, str(ctx.settings.processes_dir))
    if not paths:
        raise click.UsageError("Give the BPMN files or folders to deploy, or --bundled for the services that come "
                               "with Lincah.")
    factory = _factory(ctx)
    folders = model_folders(paths)  # a spiff-arena model folder is one service (api.model_folder_cli)
    files = [p for p in bpmn_files(paths) if p.parent not in folders]
    tables = [p for p in files if p.suffix.lower() == ".dmn"]
    files = [p for p in files if p not in tables]
    failed = _deploy_decisions(ctx, factory, tables, actor) if tables and not files and not folders else 0
    failed += sum(not deploy_folder(ctx, factory, folder, draft=draft, actor=actor) for folder in folders)
    for path in files:
        main_file, supporting = _sources(path, files, tables)
        try:
            with transaction(factory) as session:
                result = definitions.deploy(session, ctx, main_file, supporting,
                                            definitions.form_source(ctx, path, forms_dir), actor=actor,
                                            publish=not draft)
                d = result.definition
                what = "deployed" if result.created else "unchanged"
                click.echo(f"{path}: {what} {d.key} version {d.version} ({d.status}) — {d.name_id}")
                for warning in result.warnings:
                    click.echo(f"  warning: {warning['element_id'] or '-'}: {warning['message']}")
        except LincahError as exc:
            failed += 1
            click.echo(f"{path}: not deployed: {exc.message}", err=True)
            for problem in exc.details or []:
                if isinstance(problem, dict) and "severity" in problem:
                    click.echo(f"  {problem['file']}:{problem['line'] or 0}: {problem['element_id'] or '-'}: "
                               f"{problem['severity']}: {problem['message']}", err=True)
    sys.exit(1 if failed else 0)


@main.group(help="User accounts.")
def users() -> None:
    pass


@users.command("add", help="Create a user account.")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, required=True,
              help="applicant, officer, supervisor, analyst, manager or admin (repeatable).")
@click.option("--group", "groups", multiple=True, help="Candidate group, e.g. verifier (repeatable).")
@click.option("--jurisdiction", "jurisdictions", multiple=True, help="Office code, e.g. sinjai (repeatable).")
@click.option("--full-name", default="")
@click.option("--email", default=None)
def users_add(username, password, roles, groups, jurisdictions, full_name, email) -> None:
    ctx = _context()
    try:
        with transaction(_factory(ctx)) as session:
            groups = group_list.check_assignable(session, groups) if groups else groups
            user = user_service.create(session, username=username, password=password, roles=roles, groups=groups,
                                       jurisdictions=jurisdictions, full_name=full_name, email=email, actor="cli",
                                       at=ctx.now())
            click.echo(f"created {user.username}: roles {', '.join(user.roles)}; groups "
                       f"{', '.join(user.groups) or '-'}; jurisdictions {', '.join(user.jurisdictions) or '-'}")
    except LincahError as exc:
        raise click.ClickException(exc.localized("en")) from exc



@main.command(help="Run the product: the web pages and the API on gunicorn (one process with threads), and the "
                   "periodic jobs (timers, SLA clock, e-mail) in the same process.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Requests served at the same time.")
@click.option("--debug", is_flag=True, help="Development: werkzeug's server, reloading on code changes and showing "
                                            "the debugger (never in production).")
@click.option("--no-scheduler", is_flag=True, help="Do not run the periodic jobs in this process.")
def serve(host, port, threads, debug, no_scheduler) -> None:
    ctx = _context()
    configure_logging(ctx.settings.log_format, ctx.settings.log_level)
    try:
        check_calendars(ctx)
    except ValueError as exc:
        raise click.ClickException(f"{exc}\nThe server did not start: correct the calendars file "
                                   "(`lincah calendar check` checks it) and start again.") from None

    try:
        require_free_port(host, port)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None

    if host not in ("0.0.0.0", "::", "") and not ctx.settings.public_url:
        # the applicants' mails link to their files: at this server's address, unless LINCAH_PUBLIC_URL names
        # the one people use (a server listening on every address cannot tell which that is)
        ctx.settings = replace(ctx.settings, public_url=f"http://{host}:{port}")

    def make_app():
        return create_app(context=ctx, start_scheduler=not no_scheduler)

    click.echo(f"Lincah on http://{host}:{port}/ (API: /api/v1, docs: /api/v1/docs)"
               + ("" if no_scheduler else "; scheduler running (timers, SLA clock, notifications)"))
    if debug:
        run_simple(host, port, make_app(), threaded=True, use_reloader=True, use_debugger=True)
    else:
        run_server(make_app, host, port, threads)


@main.command(help="Create demo users, offices' staff and applications at different stages (safe to re-run).")
def demo() -> None:
    ctx = _context()
    with transaction(_factory(ctx)) as session:
        report = demo_data.install(session, ctx)
    for line in report.lines():
        click.echo(line)


main.add_command(scheduler_command)
main.add_command(calendar_command)
main.add_command(clients_command)
main.add_command(config_command)
main.add_command(fakes_command)
main.add_command(offices_command)
main.add_command(groups_command)
main.add_command(institutions_command)
main.add_command(backup_command)
main.add_command(restore_command)
main.add_command(migrate_command)
users.add_command(profile_command)

if __name__ == "__main__":
    main()
