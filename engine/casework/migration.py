"""Moving running applications from one version of a service to another, keeping everything they have.

SpiffWorkflow's own ``migrate_workflow`` resets every ready and waiting task: timers start again from zero and what an
officer typed into a ready step is dropped (SPIFFWORKFLOW.md). This module moves the stored state itself instead:

1. The state's tasks name their BPMN elements; a **plan** maps each element of version A to one of version B (by id
   by default; the analyst edits the mapping for a renamed or split step).
2. Every task the application has not reached yet (future and predicted ones) is dropped: version B predicts its own
   when the application next moves. Every task it has reached — done, ready, waiting — is kept as it is: the same
   task ids (so task rows, claims, assignees, drafts and SLA clocks stay attached), the same data, the same internal
   data (so a timer keeps the due time it had: never restarted).
3. The state is loaded on version B's spec and saved under the optimistic lock, the open task rows take B's names,
   forms, groups and choices, and an audit event records the move (and lets it be undone while nothing happened).

When version B is version A's graph again — the same elements, flows, gateways and events under the plan's names,
only what people see changed (names, forms, groups, SLAs, documentation) — B would predict exactly the tasks A
predicted, so the stored JSON is rewritten as it is instead (step 2 and 3 without restoring a workflow: the
elements renamed, the unreached tasks given new ids), at a fraction of the cost. New ids, because the text must
change: a process keeps an application's workflow for the very state text it saved (``LiveWorkflows``), and that
workflow runs on A's spec.

``prepare`` does the work of one application in memory and ``write`` saves any number of prepared moves with one
statement per table, so a batch (``migration_batch``) pays the database's round trips once for many applications.

An application cannot move — and the dry run says why, naming the step or field — when a step it is at or has passed
is not in B and the plan maps it nowhere, when a step it has passed now asks for a required field its data lacks
(the applicant would have to redo it), or when it is not running.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

import orjson
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.bpmn import external
from engine.casework import external_outbox, lane_owners, projection, waiting
from engine.errors import Conflict, InvalidData
from engine.services import definitions
from engine.storage import audit, sql
from engine.storage.models import Event, Instance, ServiceDefinition, Task, TaskCandidate
from engine.texts import N_, Text
from engine.workflow import runtime
from engine.workflow.serialization import SERIALIZER_VERSION

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_UNREACHED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
_DONE = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR


@dataclass
class Plan:
    """Move applications of ``service`` from version ``source`` to ``target``; ``mapping``: element of A → element
    of B, or ``None`` where A's element has no place in B."""

    service: str
    source: int
    target: int
    mapping: dict[str, str | None] = field(default_factory=dict)
    # The two versions' rows, read once per plan: a batch judges and moves thousands of applications with them.
    _versions: tuple | None = field(default=None, repr=False, compare=False)
    _same_graph: bool | None = field(default=None, repr=False, compare=False)
    _forms: dict = field(default_factory=dict, repr=False, compare=False)  # see ``_changed_form``

    def versions(self, session: Session) -> tuple[ServiceDefinition, ServiceDefinition]:
        if self._versions is None:
            self._versions = _versions(session, self.service, self.source, self.target)
        return self._versions

    def same_graph(self, session: Session) -> bool:
        """Whether the target version is the source's graph under the plan's names (see the module's doc)."""
        if self._same_graph is None:
            targets = [new for new in self.mapping.values() if new is not None]
            if len(targets) != len(set(targets)):  # steps merged into one: never the same graph
                self._same_graph = False
                return False
            source, target = self.versions(session)
            # Read in this session: the rows may have been read in a session that is closed now.
            specs = dict(session.execute(select(ServiceDefinition.id, ServiceDefinition.spec_json)
                                         .where(ServiceDefinition.id.in_((source.id, target.id)))).all())
            self._same_graph = _graph(specs[source.id], self.mapping) == _graph(specs[target.id], {})
        return self._same_graph

    def reversed(self) -> Plan:
        back = {new: old for old, new in self.mapping.items() if new is not None}
        return Plan(self.service, self.target, self.source, back)


@dataclass
class Verdict:
    """What the dry run says of one application."""

    instance_id: int
    registration_no: str
    steps: list[str]  # the elements it is at (open steps, waiting events)
    reasons: list[Text]  # empty: it can move (each said in the reader's language: ``Text.render``)

    @property
    def movable(self) -> bool:
        return not self.reasons


def elements(definition: ServiceDefinition, ctx: EngineContext) -> dict[str, str]:
    """The BPMN elements of a version that tasks can stand on: id → name."""
    spec, _ = ctx.codec.load_spec(definition.id, lambda: definition.spec_json)
    return {name: (getattr(task_spec, "bpmn_name", None) or name) for name, task_spec in spec.task_specs.items()
            if getattr(task_spec, "bpmn_id", None)}


def default_plan(session: Session, ctx: EngineContext, service: str, source: int, target: int) -> Plan:
    """Every element of ``source`` mapped to the element of ``target`` with the same id, or to nothing."""
    a, b = _versions(session, service, source, target)
    in_b = elements(b, ctx)
    return Plan(service, source, target, {element: (element if element in in_b else None)
                                          for element in sorted(elements(a, ctx))})


def check_plan(session: Session, ctx: EngineContext, plan: Plan) -> None:
    """``InvalidData`` naming each mapping entry that names an element one of the versions does not have."""
    a, b = _versions(session, plan.service, plan.source, plan.target)
    in_a, in_b = elements(a, ctx), elements(b, ctx)
    problems = {}
    for old, new in plan.mapping.items():
        if old not in in_a:
            problems[f"mapping.{old}"] = Text(N_("version %(version)s has no element %(element)s"),
                                              {"version": plan.source, "element": repr(old)})
        elif new is not None and new not in in_b:
            problems[f"mapping.{old}"] = Text(N_("version %(version)s has no element %(element)s to map %(old)s to"),
                                              {"version": plan.target, "element": repr(new), "old": repr(old)})
    if problems:
        raise InvalidData(Text(N_("The migration plan names elements the versions do not have.")), problems)


def _versions(session: Session, service: str, source: int, target: int):
    if source == target:
        raise InvalidData(Text(N_("Choose two different versions to move applications between.")),
                          {"to": Text(N_("the same as from (%(version)s)"), {"version": source})})
    return definitions.get_version(session, service, source), definitions.get_version(session, service, target)


def judge(session: Session, ctx: EngineContext, plan: Plan, instance: Instance) -> Verdict:
    """Whether ``instance`` can move under ``plan``, and why not (nothing is changed)."""
    return _verdict(session, ctx, plan, instance, orjson.loads(instance.state)["tasks"] if instance.state else {})


def _verdict(session: Session, ctx: EngineContext, plan: Plan, instance: Instance, tasks: dict) -> Verdict:
    steps = sorted({t["task_spec"] for t in tasks.values() if t["state"] & _LIVE and _is_element(t)})
    reasons = _reasons(session, ctx, plan, instance, tasks)
    return Verdict(instance.id, instance.registration_no, steps, reasons)


def listed(reasons: list[Text]) -> Text:
    """The reasons as one text, separated by semicolons, each said in the reader's language. Its id is only
    placeholders (no catalogue entry: nothing there to translate)."""
    if len(reasons) == 1:
        return reasons[0]
    return Text("; ".join(f"%(reason{at})s" for at in range(len(reasons))),
                {f"reason{at}": reason for at, reason in enumerate(reasons)})


def renamed(name: str, mapping: dict) -> str | None:
    """The name in version B of the task spec ``name`` of version A. Specs SpiffWorkflow derives from an element
    (``review.BoundaryEventSplit``) follow their element."""
    if name in mapping:
        return mapping[name]
    element, dot, rest = name.partition(".")
    if dot and element in mapping:
        return f"{mapping[element]}.{rest}" if mapping[element] is not None else None
    return name


def _is_element(task: dict) -> bool:
    name = task["task_spec"]
    return not (name in ("Root", "Start", "End") or name.endswith((".EndJoin", "]")))


# Why an application that is not running cannot move, by its status (``Instance.status``).
_NOT_RUNNING = {"completed": N_("it is completed, not running"), "cancelled": N_("it was cancelled, not running"),
                "error": N_("it stopped on an error, not running")}


def _reasons(session: Session, ctx: EngineContext, plan: Plan, instance: Instance, tasks: dict) -> list[Text]:
    if instance.status != "running":
        known = _NOT_RUNNING.get(instance.status)
        return [Text(known) if known else Text(N_("it is %(status)s, not running"), {"status": instance.status})]
    source, target = plan.versions(session)
    if instance.definition_id != source.id:
        return [Text(N_("it is not on version %(version)s"), {"version": plan.source})]
    spec, _ = ctx.codec.load_spec(target.id, lambda: target.spec_json)
    reasons = []
    for name in sorted({t["task_spec"] for t in tasks.values() if not t["state"] & _UNREACHED}):
        new = renamed(name, plan.mapping)
        if new is None or new not in spec.task_specs:
            live = any(t["task_spec"] == name and t["state"] & _LIVE for t in tasks.values())
            said = (N_("its current step %(step)s is not in version %(version)s and the plan maps it nowhere") if live
                    else N_("it passed step %(step)s, which version %(version)s does not have; map it to a step of "
                            "the new version"))
            reasons.append(Text(said, {"step": repr(name), "version": plan.target}))
    reasons.extend(_missing_fields(session, source, target, plan, tasks))
    return reasons


def _missing_fields(session: Session, source: ServiceDefinition, target: ServiceDefinition, plan: Plan,
                    tasks: dict) -> list[Text]:
    """Steps already done whose form in B requires a field their data lacks: moving would ask for it again."""
    done = dict.fromkeys(task["task_spec"] for task in tasks.values()
                         if task["state"] & TaskState.COMPLETED and _is_element(task)
                         and plan.mapping.get(task["task_spec"], task["task_spec"]) is not None)
    # The start form was filled in before any step: the file's data as it stands now holds its fields.
    checks = [(element, form) for element in (*done, N_START)
              if (form := _changed_form(session, source, target, plan, element)) is not None]
    if not checks:  # the usual case: no form the application filled in changed; its data need not be merged
        return []
    data, latest = _done_data(tasks)
    reasons = []
    for element, new_form in checks:
        filled = latest if element == N_START else data[element]
        missing = [name for name in new_form.schema.get("required", []) if filled.get(name) in (None, "")]
        if missing:
            params = {"version": plan.target, "fields": ", ".join(missing)}
            reasons.append(Text(N_("the application form was filled in, but version %(version)s's form requires "
                                   "%(fields)s, which it lacks"), params) if element == N_START else
                           Text(N_("step %(step)s was filled in, but version %(version)s's form requires %(fields)s, "
                                   "which it lacks"), {**params, "step": repr(element)}))
    return reasons


def _changed_form(session: Session, source: ServiceDefinition, target: ServiceDefinition, plan: Plan, element: str):
    """B's form for what ``element`` (or the start) asked in A, when it is another form; ``None`` when the same or
    none. Worked out once per plan and element."""
    if element not in plan._forms:
        if element == N_START:
            old_key, new_key = source.meta.get("start_form"), target.meta.get("start_form")
        else:
            old_key, new_key = _form_key(source, element), _form_key(target, plan.mapping.get(element, element))
        new_form = definitions.form_of(session, target, new_key)
        old_form = definitions.form_of(session, source, old_key) if new_form is not None else None
        same = new_form is None or (old_form is not None and old_form.sha256 == new_form.sha256)
        plan._forms[element] = None if same else new_form
    return plan._forms[element]


N_START = "(start)"


def _form_key(definition: ServiceDefinition, element: str | None) -> str | None:
    settings = definition.meta.get("tasks", {}).get(element) if element else None
    return settings.get("form_key") if settings is not None else None


def _done_data(tasks: dict) -> tuple[dict[str, dict], dict]:
    """The data each completed element's task holds (deltas applied from the root down), and the latest data."""
    data: dict[str, dict] = {}
    resolved: dict[str, dict] = {}
    latest: dict = {}
    for task_id, task in tasks.items():  # parents come before their children
        parent = resolved.get(task["parent"]) if task["parent"] else None
        delta = task.get("delta") or {}
        if delta and parent is not None:
            merged = {**parent, **delta.get("updates", {})}
            for key in delta.get("deletions", []):
                merged.pop(key, None)
        else:
            merged = task.get("data") or {}
        resolved[task_id] = merged
        if task["state"] & TaskState.COMPLETED:
            latest = merged
            if _is_element(task):
                data[task["task_spec"]] = merged
    return data, latest


MOVED, MOVED_BACK = "migrated", "migration_rolled_back"


@dataclass
class Move:
    """One application's move, worked out in memory by ``prepare`` and saved by ``write``."""

    instance: Instance
    seen: int  # the revision it was read at: written only if it is still that
    values: dict  # the application row's new columns
    retitles: list[dict]  # open task rows that take the new version's settings
    groups: dict[str, list[str]]  # task id → its new candidate groups, where they changed
    event: dict
    workflow: object = None  # restored on B (the full path): its outbox and waiting rows are brought in line


def move(session: Session, ctx: EngineContext, plan: Plan, instance: Instance, *, actor: str,
         note: str = "", kind: str = MOVED) -> None:
    """Move ``instance`` under ``plan`` in the caller's transaction; ``Conflict`` (nothing changed) if it cannot
    move, naming why."""
    rows = open_rows(session, [instance.id]).get(instance.id, [])
    write(session, ctx, [prepare(session, ctx, plan, instance, rows, actor=actor, note=note, kind=kind)])


def open_rows(session: Session, instance_ids: list[int]) -> dict[int, list]:
    """The open task rows of the applications, by application: one query for a batch."""
    found: dict[int, list] = {}
    for row in session.execute(_OPEN_ROWS.where(Task.instance_id.in_(instance_ids))):
        found.setdefault(row.instance_id, []).append(row)
    return found


def prepare(session: Session, ctx: EngineContext, plan: Plan, instance: Instance, rows, *, actor: str,
            note: str = "", kind: str = MOVED) -> Move:
    """Work out the move of ``instance`` (whose open task rows, as ``open_rows`` reads them, are ``rows``); nothing
    is written. ``Conflict`` naming why if it cannot move."""
    state = orjson.loads(instance.state) if instance.state else {"tasks": {}}
    verdict = _verdict(session, ctx, plan, instance, state["tasks"])
    if not verdict.movable:
        raise Conflict(Text(N_("Application %(number)s cannot move to version %(version)s: %(reasons)s."),
                            {"number": instance.registration_no, "version": plan.target,
                             "reasons": listed(verdict.reasons)}))
    _, target = plan.versions(session)
    spec, subprocess_specs = ctx.codec.load_spec(target.id, lambda: target.spec_json)
    rewrite = plan.same_graph(session) and _plain(state) and instance.serializer_version == SERIALIZER_VERSION
    text = _rewritten(state, plan.mapping) if rewrite else None
    workflow = None
    if text is not None:
        timer = instance.next_timer_at  # the same waiting tasks with the same internal data: the same due time
        ready = {task["id"]: spec.task_specs[task["task_spec"]] for task in state["tasks"].values()
                 if task["state"] == TaskState.READY and spec.task_specs[task["task_spec"]].manual}
    else:
        _keep_reached(state["tasks"], plan.mapping)
        workflow = ctx.codec.load_state(orjson.dumps(state).decode(), spec, subprocess_specs, ctx.script_engine)
        _predict(workflow)
        text, timer = ctx.codec.dump_state(workflow), runtime.next_timer_at(workflow)
        ready = {task_id: task.task_spec for task_id, task in runtime.ready_human_ids(workflow).items()}
    seen = instance.revision
    values = {"state": text, "serializer_version": SERIALIZER_VERSION, "revision": seen + 1, "next_timer_at": timer,
              "updated_at": ctx.now(), "definition_id": target.id}
    retitles, groups = _retitled(target, ready, rows)
    event = audit.entry(kind, actor=actor, at=ctx.now(), instance_id=instance.id, definition_id=target.id,
                        service=plan.service, from_version=plan.source, to_version=plan.target,
                        mapping={k: v for k, v in plan.mapping.items() if v != k}, revision=seen + 1,
                        next_timer_at=timer.isoformat() if timer else None, note=note[:500])
    return Move(instance, seen, values, retitles, groups, event, workflow)


_INSTANCES = Instance.__table__
_SAVE = sql.update_where(_INSTANCES, ("definition_id", "next_timer_at", "revision", "serializer_version", "state",
                                      "updated_at"), (("id", "b_id"), ("revision", "b_seen")))


def write(session: Session, ctx: EngineContext, moves: list[Move]) -> None:
    """Save ``moves`` in the caller's transaction, one statement per table for all of them (on PostgreSQL sent in
    one round trip). ``Conflict`` when an application changed since it was read: the caller rolls back."""
    if not moves:
        return
    changed = Conflict(Text(N_("An application changed while it was being moved (someone took a step at the same "
                               "moment). Run the migration again: it moves only the applications still on the old "
                               "version.")))
    groups = {task_id: names for move in moves for task_id, names in move.groups.items()}
    with sql.batch(session):
        _SAVE.write(session, [{"b_id": move.instance.id, "b_seen": move.seen, **move.values} for move in moves],
                    expect=len(moves), conflict=changed)
        retitles = [row for move in moves for row in move.retitles]
        if retitles:
            _RETITLE.write(session, retitles)
        audit.record_all(session, *(move.event for move in moves))
    if groups:  # rare (the new version gives a step to other groups): plain statements
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id.in_(list(groups))))
        pairs = [{"task_id": task_id, "group_name": name} for task_id, names in groups.items() for name in names]
        if pairs:
            session.execute(insert(TaskCandidate), pairs)
    for move in moves:
        instance = move.instance
        sql.set_loaded(instance, move.values)  # mirrored on the loaded object, not flushed again
        if move.workflow is not None:
            external_outbox.sync(session, ctx, instance, move.workflow)
            waiting.sync(session, ctx, instance, move.workflow)
            ctx.live.keep(instance.id, move.values["state"], move.workflow)
        session.expire(instance, ["definition"])


def _plain(state: dict) -> bool:
    """A state the rewrite handles: no called process and no pending event (those go the full path)."""
    return not state.get("subprocesses") and not state.get("bpmn_events")


def _rewritten(state: dict, mapping: dict) -> str | None:
    """The state as version B holds it when B is A's graph: elements renamed by the plan, unreached tasks under new
    ids (see the module's doc); ``None`` if it has no unreached task to renew (the full path's prediction does)."""
    tasks = state["tasks"]
    fresh = {task_id: str(uuid.uuid4()) for task_id, task in tasks.items() if task["state"] & _UNREACHED}
    if not fresh:
        return None
    renewed = {}
    for task_id, task in tasks.items():  # in the same order: parents before their children
        new_id = fresh.get(task_id, task_id)
        task["id"] = new_id
        if task["parent"] is not None:
            task["parent"] = fresh.get(task["parent"], task["parent"])
        task["children"] = [fresh.get(child, child) for child in task["children"]]
        task["task_spec"] = renamed(task["task_spec"], mapping) or task["task_spec"]
        renewed[new_id] = task
    state["tasks"] = renewed
    return orjson.dumps(state).decode()


# What a task spec carries that people see, not the engine's graph: a change there leaves the task tree as it is.
_PRESENTATION = frozenset({"bpmn_name", "description", "documentation", "lane", "form", "file", "extensions"})
_ENGINE_EXTENSIONS = ("camunda:type", external.TOPIC)  # an external task is in the outbox: part of the graph


def _graph(spec_json: str, mapping: dict):
    """A version's spec without what people see, its element names as the plan calls them in the target version."""
    body = orjson.loads(spec_json)
    names = set(body["spec"]["task_specs"])

    def name(value: str) -> str:
        if value not in names:
            return value
        new = renamed(value, mapping)
        return new if new is not None else f"(unmapped) {value}"

    def walk(value):
        if isinstance(value, dict):
            kept = {name(k): walk(v) for k, v in value.items() if k not in _PRESENTATION}
            if "extensions" in value:
                kept["extensions"] = [(value["extensions"] or {}).get(key) for key in _ENGINE_EXTENSIONS]
            return kept
        if isinstance(value, list):
            return [walk(v) for v in value]
        return name(value) if isinstance(value, str) else value

    return walk(body)


def _keep_reached(tasks: dict, mapping: dict) -> None:
    """Drop the tasks the application has not reached (B predicts its own) and rename the rest's elements."""
    doomed: set[str] = set()
    pending = [child for task in tasks.values() if task["state"] & _LIVE for child in task["children"]
               if tasks[child]["state"] & _UNREACHED]
    while pending:
        task_id = pending.pop()
        if task_id not in doomed:
            doomed.add(task_id)
            pending.extend(tasks[task_id]["children"])
    for task_id in doomed:
        del tasks[task_id]
    for task in tasks.values():
        task["children"] = [child for child in task["children"] if child not in doomed]
        new = renamed(task["task_spec"], mapping)
        if new is not None:
            task["task_spec"] = new


def _predict(workflow) -> None:
    # A task's children come only from prediction (SpiffWorkflow predicts a task's outputs before it runs, never when
    # it completes), so the tasks dropped above must be predicted again from version B's spec, as a new workflow
    # predicts its tree (every state not finished).
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)


_OPEN_ROWS = select(Task.id, Task.element_id, Task.name, Task.form_key, Task.candidate_groups,
                    Task.decision_choices, Task.instance_id).where(Task.state.in_(projection.OPEN_STATES))
_RETITLE = sql.update_where(Task.__table__, ("candidate_groups", "decision_choices", "element_id", "form_key", "name"),
                            (("id", "b_id"),))


def _retitled(target: ServiceDefinition, ready: dict, rows) -> tuple[list[dict], dict[str, list[str]]]:
    """The open rows keep their ids, claims, assignees and clocks; they take B's element, name, form, groups and
    choices (only where they differ). ``ready``: task id → its spec in B, for the human tasks ready now."""
    retitles, groups = [], {}
    for row in rows:
        spec = ready.get(row.id)
        if spec is None:
            continue
        settings = projection.task_settings(target, SimpleNamespace(task_spec=spec))  # reads only the spec
        new = {"element_id": settings["element_id"], "name": settings["name"], "form_key": settings.get("form_key"),
               "candidate_groups": list(settings.get("candidate_groups") or []),
               "decision_choices": list(settings.get("decisions") or [])}
        old = {"element_id": row.element_id, "name": row.name, "form_key": row.form_key,
               "candidate_groups": list(row.candidate_groups or []),
               "decision_choices": list(row.decision_choices or [])}
        if lane_owners.people_named(old["candidate_groups"]):  # given by name (lane_owners): stays with them
            new["candidate_groups"] = old["candidate_groups"]
        if new == old:
            continue
        retitles.append({"b_id": row.id, **new})
        if new["candidate_groups"] != old["candidate_groups"]:
            groups[row.id] = new["candidate_groups"]
    return retitles, groups


def last_move(session: Session, instance_id: int) -> Event | None:
    """The latest move of the application to another version (or back), or ``None``."""
    return session.scalars(select(Event).where(Event.instance_id == instance_id, Event.kind.in_((MOVED, MOVED_BACK)))
                           .order_by(Event.id.desc())).first()


def roll_back(session: Session, ctx: EngineContext, instance: Instance, *, actor: str) -> None:
    """Move ``instance`` back to the version it came from, while it has not advanced since it moved; ``Conflict``
    otherwise."""
    moved = last_move(session, instance.id)
    if moved is None or moved.kind != MOVED:
        raise Conflict(Text(N_("Application %(number)s was not moved to another version, or was moved back "
                               "already."), {"number": instance.registration_no}))
    if moved.data.get("revision") != instance.revision:
        raise Conflict(Text(N_("Application %(number)s has moved on since it was migrated (a step was taken on the "
                               "new version); it cannot go back."), {"number": instance.registration_no}))
    data = moved.data
    forward = Plan(data["service"], data["from_version"], data["to_version"], dict(data.get("mapping") or {}))
    move(session, ctx, forward.reversed(), instance, actor=actor, note="rollback", kind=MOVED_BACK)
    session.expire(instance, ["definition"])
