"""``lincah lint`` / ``lincah deploy`` of model folders: a spiff-arena model (``process_model.json``, or diagrams
with spiff-arena extensions calling each other) is one service, checked and deployed as one unit; the other
folders keep their diagrams deployed one by one (``engine.services.model_folder``)."""

from __future__ import annotations

from pathlib import Path

import click

from engine.errors import LincahError
from engine.services import definitions, model_folder
from engine.storage.db import transaction


def model_folders(paths: tuple[str, ...]) -> list[Path]:
    """The model folders among ``paths`` and inside the folders given, in a stable order; a diagram given by itself
    that lives in a model folder stands for its folder (alone it would lack the files it calls and its forms)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.suffix.lower() == ".bpmn" and model_folder.is_model_folder(path.parent):
            found.append(path.parent)
        if not path.is_dir():
            continue
        candidates = [path, *sorted(p for p in path.rglob("*") if p.is_dir())]
        found.extend(p for p in candidates if model_folder.is_model_folder(p))
    return list(dict.fromkeys(found))


def _echo_problems(problems: list[dict]) -> None:
    for problem in problems:
        if isinstance(problem, dict) and "severity" in problem:
            click.echo(f"  {problem['file']}:{problem['line'] or 0}: {problem['element_id'] or '-'}: "
                       f"{problem['severity']}: {problem['message']}", err=True)


def lint_folder(ctx, folder: Path, quiet: bool) -> tuple[int, int]:
    """Print the folder's problems and the flavour read; the numbers of errors and warnings."""
    try:
        model = model_folder.from_directory(folder)
    except LincahError as exc:
        click.echo(f"{folder}: {exc.message}")
        _echo_problems(exc.details or [])
        return len(exc.details or []) or 1, 0
    compiled = definitions.lint(ctx, model.main, model.supporting, model.forms)
    for problem in compiled.problems.sorted():
        if not quiet:
            click.echo(f"{folder}/{problem.as_line()}")
    if not quiet:
        click.echo(f"{folder}: model folder, service {compiled.key or '-'} from {model.main.name}; read as "
                   f"{compiled.flavour} BPMN")
    return len(compiled.problems.errors), len(compiled.problems.warnings)


def deploy_folder(ctx, factory, folder: Path, *, draft: bool, actor: str) -> bool:
    """Deploy the model folder as one service; whether it was deployed."""
    try:
        model = model_folder.from_directory(folder)
        with transaction(factory) as session:
            result = definitions.deploy(session, ctx, model.main, model.supporting, model.forms, actor=actor,
                                        publish=not draft)
            d = result.definition
            what = "deployed" if result.created else "unchanged"
            click.echo(f"{folder}: {what} {d.key} version {d.version} ({d.status}) — {d.name_id} "
                       f"[model folder: {model.main.name} + {len(model.supporting)} file(s), "
                       f"{len(d.forms)} form(s)]")
            for warning in result.warnings:
                click.echo(f"  warning: {warning['element_id'] or '-'}: {warning['message']}")
        return True
    except LincahError as exc:
        click.echo(f"{folder}: not deployed: {exc.message}", err=True)
        _echo_problems(exc.details or [])
        return False
