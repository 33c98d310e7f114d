"""Service definitions: lint, deploy (versioned, content-hashed), publish, look up.

``key`` is the executable process id; versions count 1, 2, 3… per key. Re-deploying identical content (BPMN files
used and form snapshots) returns the existing version. Running applications keep the version they started with;
new applications use the latest published version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import bill_lint, script_unit_tests
from engine.bpmn.compiler import Compiled, SourceFile, compile_definition
from engine.bpmn.encoding import as_utf8
from engine.bpmn.problems import ProblemList
from engine.errors import InvalidDefinition, NotFound
from engine.forms.schemas import Form, FormSource
from engine.people import groups
from engine.sandbox import check_script
from engine.services import decisions, letter_templates, office_coverage, office_rule, preparation
from engine.services.letter_templates import LetterSource
from engine.storage import audit
from engine.storage.models import FormSnapshot, ServiceDefinition
from engine.texts import N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"


@dataclass
class DeployResult:
    definition: ServiceDefinition
    created: bool
    warnings: list[dict] = field(default_factory=list)


def form_source(ctx: EngineContext, bpmn_path: Path | None = None, forms_dir: Path | None = None,
                uploads: dict[str, bytes] | None = None) -> FormSource:
    """Forms come from ``--forms DIR``, else a ``forms/`` folder beside the BPMN file, else the project's."""
    folders = []
    if forms_dir is not None:
        folders.append(Path(forms_dir))
    if bpmn_path is not None:
        folders.append(Path(bpmn_path).resolve().parent / "forms")
    folders.append(ctx.settings.forms_dir)
    return FormSource(uploads, folders)


def letter_source(ctx: EngineContext, forms: FormSource) -> LetterSource:
    """A service's letter template is an upload named ``letter.html`` among the form uploads, else
    ``letters/<key>.html`` beside the forms folders used (``processes/letters`` for ``processes/forms``); where the
    forms come from the installation's ``forms/`` (the web modeler), from its ``processes/letters``."""
    folders = [folder.parent for folder in forms.folders]
    if any(folder.resolve() == Path(ctx.settings.forms_dir).resolve() for folder in forms.folders):
        folders.append(Path(ctx.settings.processes_dir))
    return LetterSource(forms.uploads.get("letter.html"), folders, forms.uploads.get("letter.css"),
                        upload_name="upload:letter.html")


def lint(ctx: EngineContext, main: SourceFile, supporting: list[SourceFile], forms: FormSource,
         letters: LetterSource | None = None) -> Compiled:
    """Check the files; what is deployed is exactly what was checked, so a file that lints clean deploys, and one
    the deploy refuses is refused here with the same problems. Never raises: whatever the files hold, the answer
    is a compiled definition or located problems (``engine.services.preparation``)."""
    letters = letters if letters is not None else letter_source(ctx, forms)
    return preparation.guarded(main, lambda: _lint(ctx, main, supporting, forms, letters))


def _lint(ctx: EngineContext, main: SourceFile, supporting: list[SourceFile], forms: FormSource,
          letters: LetterSource) -> Compiled:
    notes = ProblemList()
    options = ctx.compile_options()
    main = preparation.without_reserved_ids(_in_utf8(main, notes), notes, options.max_bytes)
    supporting = [preparation.without_reserved_ids(_in_utf8(s, notes), notes, options.max_bytes) for s in supporting]
    compiled = compile_definition(main, supporting, forms, options)
    compiled.problems.extend(notes.warnings)
    script_unit_tests.run(compiled.spiff.unit_tests, ctx.script_engine.environment, compiled.problems, check_script)
    _check_office_rule(compiled)
    bill_lint.check(compiled)
    _check_letter(ctx, compiled, letters)
    preparation.prepare_spec(ctx, compiled)
    return compiled


def _check_letter(ctx: EngineContext, compiled: Compiled, letters: LetterSource) -> None:
    """The service's letter template, checked against its forms, then filled once with sample data under the
    limits of an issued letter (a template that reads right but fails when filled is refused here, not when the
    permit is issued), and named in ``meta["letter"]`` by content hash (so a changed template is a new version);
    a service without one letters with the engine's own."""
    if not compiled.key or not compiled.meta:
        return
    found = letters.find(compiled.key)
    if found is None:
        return
    errors = len(compiled.problems.errors)
    letter_templates.check(found, compiled, compiled.problems)
    if len(compiled.problems.errors) == errors:
        ctx.try_letter(found, compiled, compiled.problems)
    name = found.origin.rsplit("/", 1)[-1].removeprefix("upload:")
    compiled.meta["letter"] = {"sha256": found.sha256, "file": name}


def _in_utf8(source: SourceFile, notes: ProblemList) -> SourceFile:
    """The file as UTF-8, whatever encoding it declares: the stored text is then the text the linter read (a UTF-16
    diagram was stored as its bytes read as UTF-8). A file whose encoding is wrong is left as it is for the linter
    to report why; warnings about the encoding go to ``notes``."""
    if isinstance(source.data, str):
        return source
    scratch = ProblemList()
    data = as_utf8(source.data, source.name, scratch)
    if data is None or data is source.data:
        return source
    notes.extend(scratch.warnings)
    return SourceFile(source.name, data)


def _check_office_rule(compiled: Compiled) -> None:
    """The office of a file must come from the service, never from what an applicant types
    (``engine.services.office_rule``):
    a rule taken from a free-text start-form field would let an applicant send a file to any office."""
    process = compiled.meta.get("process") if compiled.meta else None
    if process is None:
        return
    start_key = compiled.meta.get("start_form")
    start = compiled.forms.get(start_key) if start_key else None
    if start_key and start is None:
        return  # the start form itself is missing or invalid, and that problem is reported already
    located = [(compiled.key, office_rule.deploy_problem(process, start.schema if start else None))]
    schemas = [form.schema for form in compiled.forms.values()]
    located += [(element_id, office_rule.step_problem(step.get("jurisdiction"), schemas))
                for element_id, step in (compiled.meta.get("tasks") or {}).items()]
    for element_id, found in located:
        if found is not None:
            text, params = found
            compiled.problems.error("office_rule", text, file=compiled.main_file, element_id=element_id,
                                    params=params)


def _check_groups(session: Session, compiled: Compiled) -> None:
    """Warn (never refuse: the groups may be added after the deploy) about each step's candidate group that is not on
    the managed list or that no active account has: such a step would wait in nobody's inbox."""
    for found in groups.diagram_groups(session, compiled.meta or {}):
        said = (N_("No active account has candidate group %(group)s, so this step would wait in nobody's inbox: give "
                   "the group to an officer (Admin → Users).") if found.listed else
                N_("Candidate group %(group)s is not on the list of groups: correct the name in the diagram, or add "
                   "the group (Admin → Groups, lincah groups add) and give it to an officer."))
        compiled.problems.warning("candidate_group_unknown" if not found.listed else "candidate_group_unstaffed",
                                  said, file=compiled.main_file, element_id=found.element_id,
                                  params={"group": found.group})


def _check_office_staff(session: Session, ctx: EngineContext, compiled: Compiled) -> None:
    """Warn about each step the office rule can send to an office where no active officer holds its group: such a
    file waits unseen until it is handed to the supervising office (``engine.casework.handover``)."""
    start_key = (compiled.meta or {}).get("start_form")
    start = compiled.forms.get(start_key) if start_key else None
    found = office_coverage.gaps(office_coverage.active_officers(session), compiled.key, compiled.meta or {},
                                 start.schema if start else None, [f.schema for f in compiled.forms.values()],
                                 ctx.settings.default_jurisdiction)
    by_step: dict[str, list] = {}
    for gap in found:
        by_step.setdefault(gap.element_id, []).append(gap)
    for element_id, step_gaps in by_step.items():
        compiled.problems.warning(
            "office_unstaffed",
            N_("This step can be sent to %(offices)s, where no active officer has group %(groups)s: files there wait "
               "until they are handed to the supervising office after %(hours)s working hours. Give an officer of "
               "each of those offices the group (Admin → Users)."),
            file=compiled.main_file, element_id=element_id,
            params={"offices": ", ".join(g.office for g in step_gaps), "groups": ", ".join(step_gaps[0].groups),
                    "hours": ctx.settings.unstaffed_handover_hours})


def content_hash(compiled: Compiled) -> str:
    """What makes two deploys the same: the diagram's text, the texts of the files it calls and the forms — not
    the names the files were uploaded under (the modeler and the command line name the same diagram differently)."""
    digest = hashlib.sha256(b"lincah.definition.2\0")
    digest.update(compiled.texts[compiled.main_file].encode() + b"\0")
    for other in sorted(body for name, body in compiled.texts.items() if name != compiled.main_file):
        digest.update(other.encode() + b"\0")
    return _with_forms(digest, compiled)


def _named_content_hash(compiled: Compiled) -> str:
    """The hash versions deployed before file names stopped counting were stored with."""
    digest = hashlib.sha256()
    for name in sorted(compiled.texts):
        digest.update(name.encode() + b"\0" + compiled.texts[name].encode() + b"\0")
    return _with_forms(digest, compiled)


def _with_forms(digest, compiled: Compiled) -> str:
    for key in sorted(compiled.forms):
        digest.update(key.encode() + b"\0" + compiled.forms[key].sha256.encode() + b"\0")
    for table in sorted(compiled.decision_texts.values()):  # none before DMN files could be deployed
        digest.update(b"dmn\0" + table.encode() + b"\0")
    letter = (compiled.meta or {}).get("letter")
    if letter:  # none before letter templates were deployed
        digest.update(b"letter\0" + letter["sha256"].encode() + b"\0")
    return digest.hexdigest()


def _one_change_at_a_time(session: Session, key: str) -> None:
    """Two analysts deploying or publishing the same service at the same moment take turns, so the second sees
    what the first did: the same file is a no-op for both, different files get consecutive versions, and exactly
    one version ends up published. PostgreSQL: a transaction-scoped advisory lock on the service key (taken again
    by the same transaction, it does not wait); SQLite: every writing transaction already takes its turn (BEGIN
    IMMEDIATE)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        lock_id = int.from_bytes(hashlib.blake2b(f"lincah.deploy:{key}".encode(), digest_size=8).digest(), "big",
                                 signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": lock_id})


def deploy(session: Session, ctx: EngineContext, main: SourceFile, supporting: list[SourceFile],
           forms: FormSource, *, actor: str | None, publish: bool = True,
           letters: LetterSource | None = None) -> DeployResult:
    """Deploy a BPMN file as a new version of its service; raise ``InvalidDefinition`` with the problems."""
    letters = letters if letters is not None else letter_source(ctx, forms)
    compiled = lint(ctx, main, supporting, forms, letters)
    if not compiled.ok:
        problems = [p.to_dict() for p in compiled.problems.sorted()]
        errors = len(compiled.problems.errors)
        raise InvalidDefinition(
            f"{main.name} cannot be deployed: {errors} error(s). Fix the problems listed (each names the element) "
            "and deploy again.", problems)
    sha = content_hash(compiled)
    _one_change_at_a_time(session, compiled.key)
    existing = session.scalars(
        select(ServiceDefinition).where(ServiceDefinition.key == compiled.key,
                                        ServiceDefinition.sha256.in_((sha, _named_content_hash(compiled))))
        .order_by(ServiceDefinition.version.desc())).first()
    _check_groups(session, compiled)
    _check_office_staff(session, ctx, compiled)
    warnings = [p.to_dict() for p in compiled.problems.warnings]
    if existing is not None:
        if publish and existing.status == DRAFT:
            publish_version(session, ctx, existing.key, existing.version, actor=actor)
        return DeployResult(existing, created=False, warnings=warnings)

    spec_json = compiled.spec_json  # stored, restored and started once by lint
    form_hashes = {key: _snapshot(session, ctx, form) for key, form in compiled.forms.items()}
    if compiled.meta.get("letter"):
        letter_templates.snapshot(session, ctx, letters.find(compiled.key))
    meta = compiled.meta
    process = meta["process"]
    for attempt in range(5):
        version = (session.scalar(select(func.max(ServiceDefinition.version))
                                  .where(ServiceDefinition.key == compiled.key)) or 0) + 1
        definition = ServiceDefinition(
            key=compiled.key, version=version, status=DRAFT, name_id=process["names"]["id"],
            name_en=process["names"]["en"], bpmn_filename=main.name, bpmn=compiled.texts[main.name],
            extra_bpmn={n: t for n, t in compiled.texts.items() if n != main.name}, spec_json=spec_json,
            meta=meta, forms=form_hashes, warnings=warnings, sha256=sha, deployed_by=actor,
            deployed_at=ctx.now())
        try:
            with session.begin_nested():
                session.add(definition)
                session.flush()
            break
        except IntegrityError:
            if attempt == 4:
                raise
    audit.record(session, "deployed", actor=actor, at=ctx.now(), definition_id=definition.id,
                 key=definition.key, version=definition.version, sha256=sha)
    decisions.record_with_service(session, ctx, compiled.decisions, compiled.decision_texts, actor=actor,
                                  service_key=definition.key, service_version=definition.version)
    if publish:
        publish_version(session, ctx, definition.key, definition.version, actor=actor)
    return DeployResult(definition, created=True, warnings=warnings)


def _snapshot(session: Session, ctx: EngineContext, form: Form) -> str:
    if session.get(FormSnapshot, form.sha256) is None:
        try:
            with session.begin_nested():
                session.add(FormSnapshot(
                    sha256=form.sha256, form_key=form.key, schema_json=orjson.dumps(form.schema).decode(),
                    ui_schema_json=orjson.dumps(form.ui_schema).decode() if form.ui_schema is not None else None,
                    created_at=ctx.now()))
                session.flush()
        except IntegrityError:
            pass  # the same form snapshotted concurrently: identical content by definition of the hash
    return form.sha256


def get_version(session: Session, key: str, version: int) -> ServiceDefinition:
    definition = session.scalars(select(ServiceDefinition).where(
        ServiceDefinition.key == key, ServiceDefinition.version == version)).first()
    if definition is None:
        raise NotFound(f"Service {key!r} has no version {version}. List the versions with GET /definitions/{key}.")
    return definition


def latest_published(session: Session, key: str) -> ServiceDefinition:
    definition = session.scalars(select(ServiceDefinition).where(
        ServiceDefinition.key == key, ServiceDefinition.status == PUBLISHED)
        .order_by(ServiceDefinition.version.desc())).first()
    if definition is None:
        raise NotFound(f"There is no published service {key!r}. See the list of services for valid keys.")
    return definition


def published_services(session: Session) -> list[ServiceDefinition]:
    rows = session.scalars(select(ServiceDefinition).where(ServiceDefinition.status == PUBLISHED)
                           .order_by(ServiceDefinition.key, ServiceDefinition.version.desc())).all()
    latest: dict[str, ServiceDefinition] = {}
    for row in rows:
        latest.setdefault(row.key, row)
    return list(latest.values())


def versions(session: Session, key: str | None = None) -> list[ServiceDefinition]:
    query = select(ServiceDefinition).order_by(ServiceDefinition.key, ServiceDefinition.version)
    if key is not None:
        query = query.where(ServiceDefinition.key == key)
    return list(session.scalars(query).all())


def publish_version(session: Session, ctx: EngineContext, key: str, version: int, *, actor: str | None,
                    reason: str = "") -> ServiceDefinition:
    """Publish a version: new applications use it; the previously published version is retired."""
    _one_change_at_a_time(session, key)
    definition = get_version(session, key, version)
    if definition.status == PUBLISHED:
        return definition
    for older in session.scalars(select(ServiceDefinition).where(
            ServiceDefinition.key == key, ServiceDefinition.status == PUBLISHED)).all():
        older.status = RETIRED
    definition.status = PUBLISHED
    definition.published_at = ctx.now()
    audit.record(session, "published", actor=actor, at=ctx.now(), definition_id=definition.id, key=key,
                 version=version, **({"reason": reason} if reason else {}))
    return definition


_form_cache: dict[str, Form] = {}


def form_of(session: Session, definition: ServiceDefinition, form_key: str | None) -> Form | None:
    """The snapshotted form (schema + UI schema) a definition uses for ``form_key``.

    Snapshots are immutable and named by their content hash, so they are cached for the life of the process.
    """
    if not form_key:
        return None
    sha = definition.forms.get(form_key)
    if not sha:
        return None
    cached = _form_cache.get(sha)
    if cached is not None:
        return cached if cached.key == form_key else Form(form_key, cached.schema, cached.ui_schema, sha)
    snapshot = session.get(FormSnapshot, sha)
    if snapshot is None:
        return None
    ui = orjson.loads(snapshot.ui_schema_json) if snapshot.ui_schema_json else None
    form = Form(form_key, orjson.loads(snapshot.schema_json), ui, sha)
    if len(_form_cache) > 1024:
        _form_cache.clear()
    _form_cache[sha] = form
    return form
