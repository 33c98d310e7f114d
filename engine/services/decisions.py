"""Decision definitions: DMN tables deployed with a service (versioned with it) or alone, looked up and evaluated
by key (Camunda's ``decision-definition/key/{key}/evaluate``).

A key is the decision's id; its versions count 1, 2, 3…; deploying a table identical to the key's latest version
keeps that version. The table Lincah evaluates is stored as it read it (``engine.decisions.model``); the DMN text
beside it, for the modeler.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import dmn
from engine.bpmn.compiler import SourceFile
from engine.bpmn.problems import ProblemList
from engine.decisions import Decision, evaluate
from engine.errors import InvalidDefinition, NotFound
from engine.storage import audit
from engine.storage.models import DecisionDefinition

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

_cache: dict[str, Decision] = {}


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


def lint(ctx: EngineContext, files: list[SourceFile], session: Session | None = None
         ) -> tuple[dict[str, tuple[Decision, SourceFile]], ProblemList]:
    """The decisions of ``files`` (each with the file it came from) and the problems found. The files are one
    deployment: a decision may require one of another of them — and, with a ``session``, one deployed before (its
    latest version, as stored), so one table of a graph split over files deploys alone. Never raises."""
    problems = ProblemList()
    linked = dmn.read_deployment([(source.name, source.data) for source in files], problems,
                                 ctx.compile_options().max_bytes,
                                 deployed=None if session is None else lambda key: _stored_file(session, key))
    by_name = {source.name: source for source in files}
    found = {key: (decision, by_name[linked.files[key]]) for key, decision in linked.decisions.items()}
    if not files:
        problems.error("dmn_missing", "Attach at least one DMN file.", message_id="Lampirkan minimal satu berkas DMN.")
    return found, problems


def deploy(session: Session, ctx: EngineContext, files: list[SourceFile], *, actor: str | None
           ) -> list[DecisionDefinition]:
    """Deploy DMN files by themselves; raise ``InvalidDefinition`` with the located problems."""
    found, problems = lint(ctx, files, session)
    if problems.errors:
        raise InvalidDefinition(f"{', '.join(f.name for f in files) or 'The upload'} cannot be deployed: "
                                f"{len(problems.errors)} error(s). Fix the problems listed (each names the decision "
                                "and rule) and deploy again.", [p.to_dict() for p in problems.sorted()])
    return [record(session, ctx, decision, source, actor=actor) for decision, source in found.values()]


def record_with_service(session: Session, ctx: EngineContext, decisions: dict[str, Decision], texts: dict[str, str],
                        *, actor: str | None, service_key: str, service_version: int) -> list[DecisionDefinition]:
    """Store the tables a service was deployed with (``texts``: DMN file name → text), versioned with it, each
    with the text of the file it is in."""
    files = dmn.read_deployment(list(texts.items()), ProblemList(),
                                max(len(text.encode()) for text in texts.values()) + 1 if texts else 1).files
    return [record(session, ctx, decision, SourceFile(files[key], texts[files[key]]), actor=actor,
                   service_key=service_key, service_version=service_version)
            for key, decision in decisions.items() if key in files]


def record(session: Session, ctx: EngineContext, decision: Decision, source: SourceFile, *, actor: str | None,
           service_key: str | None = None, service_version: int | None = None) -> DecisionDefinition:
    """A version of ``decision``: the key's latest when it holds the same table, else a new one."""
    table_json = orjson.dumps(decision.to_dict(), option=orjson.OPT_SORT_KEYS).decode()
    sha = hashlib.sha256(table_json.encode()).hexdigest()
    latest = _latest(session, decision.id)
    if latest is not None and latest.sha256 == sha and latest.service_key == service_key:
        return latest
    for attempt in range(5):
        version = (session.scalar(select(func.max(DecisionDefinition.version))
                                  .where(DecisionDefinition.key == decision.id)) or 0) + 1
        row = DecisionDefinition(key=decision.id, version=version, name=decision.name, hit_policy=decision.policy,
                                 filename=source.name, dmn=_text(source.data), table_json=table_json, sha256=sha,
                                 service_key=service_key, service_version=service_version, deployed_by=actor,
                                 deployed_at=ctx.now())
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            break
        except IntegrityError:
            if attempt == 4:
                raise
    audit.record(session, "decision_deployed", actor=actor, at=ctx.now(), key=row.key, version=row.version,
                 sha256=sha, service_key=service_key, service_version=service_version)
    return row


def _stored_file(session: Session, key: str) -> tuple[str, str] | None:
    """The DMN file (name, text) that the latest version of decision ``key`` was deployed in, if any."""
    found = _latest(session, key)
    return None if found is None else (found.filename, found.dmn)


def _latest(session: Session, key: str) -> DecisionDefinition | None:
    return session.scalars(select(DecisionDefinition).where(DecisionDefinition.key == key)
                           .order_by(DecisionDefinition.version.desc())).first()


def latest(session: Session, key: str) -> DecisionDefinition:
    found = _latest(session, key)
    if found is None:
        raise NotFound(f"No decision {key!r} has been deployed. Deploy its DMN file (alone or with a service).")
    return found


def get_version(session: Session, key: str, version: int) -> DecisionDefinition:
    found = session.scalar(select(DecisionDefinition).where(DecisionDefinition.key == key,
                                                            DecisionDefinition.version == version))
    if found is None:
        raise NotFound(f"Decision {key!r} has no version {version}. The list of decisions shows the deployed ones.")
    return found


def latest_of_each(session: Session) -> list[DecisionDefinition]:
    """The latest version of every decision key, by key."""
    newest = (select(DecisionDefinition.key, func.max(DecisionDefinition.version).label("version"))
              .group_by(DecisionDefinition.key).subquery())
    return list(session.scalars(
        select(DecisionDefinition).join(newest, (DecisionDefinition.key == newest.c.key)
                                        & (DecisionDefinition.version == newest.c.version))
        .order_by(DecisionDefinition.key)).all())


def versions(session: Session, key: str | None = None) -> list[DecisionDefinition]:
    query = select(DecisionDefinition).order_by(DecisionDefinition.key, DecisionDefinition.version)
    if key is not None:
        query = query.where(DecisionDefinition.key == key)
    return list(session.scalars(query).all())


def table_of(row: DecisionDefinition) -> Decision:
    """The table of a stored version (cached: a version never changes)."""
    cached = _cache.get(row.sha256)
    if cached is None:
        cached = Decision.from_dict(orjson.loads(row.table_json))
        if len(_cache) > 512:
            _cache.clear()
        _cache[row.sha256] = cached
    return cached


def evaluate_latest(session: Session, key: str, variables: dict) -> list[dict]:
    """The result of the latest version of decision ``key`` for ``variables``: a list of result maps. Raises
    ``NotFound`` and ``engine.decisions.DecisionFailed``."""
    return evaluate(table_of(latest(session, key)), variables)
