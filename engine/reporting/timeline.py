"""An application's stages (*tahapan*) as an applicant reads them, and the one-word status of the file.

Built from the append-only audit log and the open task rows — never from the workflow state — so the list of
"my applications" and the stage timeline cost a couple of indexed queries. Step names come from the BPMN as
deployed (``definition.meta``), so a renamed step in a new version does not rewrite the history of older files.

Officers write the message meant for the applicant into a field named ``note`` (the convention of the forms in
``forms/``: "Catatan ini ditampilkan kepada pemohon"), applicants their answer into ``response_note``; the timeline
carries it with the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.messaging.notifications import APPROVED, REJECTED, outcome_kind
from engine.storage.models import Event, Instance, Task

# The status of a file, as people say it.
IN_PROCESS, NEEDS_ACTION, ISSUED, REJECTED_STATUS, CLOSED, CANCELLED, ERROR = (
    "in_process", "needs_action", "issued", "rejected", "closed", "cancelled", "error")
STATUSES = (IN_PROCESS, NEEDS_ACTION, ISSUED, REJECTED_STATUS, CLOSED, CANCELLED, ERROR)

# Stage kinds, in the order a file usually meets them.
SUBMITTED, STEP_DONE, REVISION_SENT, CURRENT, WAITING_FOR_APPLICANT, ENDED, STOPPED, FAILED, RESUMED = (
    "submitted", "step_done", "revision_sent", "current", "waiting_for_applicant", "ended", "cancelled", "error",
    "resumed")

NOTE_FIELDS = ("note", "response_note")


@dataclass
class Stage:
    kind: str
    at: datetime | None
    name: str = ""
    element_id: str | None = None
    actor: str | None = None
    decision: str | None = None
    note: str | None = None
    task_id: str | None = None
    due_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.kind not in (CURRENT, WAITING_FOR_APPLICANT)


def status(instance: Instance, open_tasks: list[Task], data: dict | None = None) -> str:
    """One of ``STATUSES``. ``data`` (the application's data, when at hand) lets a permit number decide "issued"."""
    if instance.status == "cancelled":
        return CANCELLED
    if instance.status == "error":
        return ERROR
    if instance.status == "completed":
        kind = outcome_kind(instance.outcome, data or {}, _meta(instance))
        return ISSUED if kind == APPROVED else REJECTED_STATUS if kind == REJECTED else CLOSED
    if any(task.for_applicant for task in open_tasks):
        return NEEDS_ACTION
    return IN_PROCESS


def _meta(instance) -> dict | None:
    """The definition's meta of an application, or of a search result (``tracking.ApplicationSummary``)."""
    definition = getattr(instance, "definition", None)
    return definition.meta if definition is not None else getattr(instance, "definition_meta", None)


def step_name(instance: Instance, element_id: str | None) -> str:
    tasks = (instance.definition.meta or {}).get("tasks", {})
    return (tasks.get(element_id or "") or {}).get("name") or element_id or ""


def _for_applicant(instance: Instance, element_id: str | None) -> bool:
    tasks = (instance.definition.meta or {}).get("tasks", {})
    return bool((tasks.get(element_id or "") or {}).get("for_applicant"))


def _note(event: Event) -> str | None:
    submitted = (event.data or {}).get("data") or {}
    if not isinstance(submitted, dict):
        return None
    for name in NOTE_FIELDS:
        note = submitted.get(name)
        if isinstance(note, str) and note.strip():
            return note.strip()
    return None


def stages(instance: Instance, events: list[Event], open_tasks: list[Task]) -> list[Stage]:
    """The file's stages, oldest first, ending with the step(s) it waits at now."""
    out: list[Stage] = []
    for event in events:
        if event.kind == "started":
            out.append(Stage(SUBMITTED, event.at, actor=event.actor))
        elif event.kind == "task_completed":
            kind = REVISION_SENT if _for_applicant(instance, event.element_id) else STEP_DONE
            out.append(Stage(kind, event.at, step_name(instance, event.element_id), event.element_id, event.actor,
                             (event.data or {}).get("decision"), _note(event), event.task_id))
        elif event.kind == "completed":
            out.append(Stage(ENDED, event.at, instance.outcome or "", actor=event.actor))
        elif event.kind == "cancelled":
            out.append(Stage(STOPPED, event.at, actor=event.actor, note=(event.data or {}).get("reason") or None))
        elif event.kind == "error":
            out.append(Stage(FAILED, event.at, element_id=event.element_id))
        elif event.kind == "resumed":
            out.append(Stage(RESUMED, event.at, actor=event.actor))
    for task in open_tasks:
        kind = WAITING_FOR_APPLICANT if task.for_applicant else CURRENT
        out.append(Stage(kind, task.created_at, task.name, task.element_id, task.assignee, task_id=task.id,
                         due_at=task.due_at))
    return out


def last_note_before(events: list[Event], task: Task) -> Stage | None:
    """The officer's decision (and note) that opened ``task``: the last staff step completed before it was created.

    This is what an applicant answering a revision request needs to read first.
    """
    found = None
    for event in events:
        if event.kind != "task_completed" or event.at > task.created_at or event.task_id == task.id:
            continue
        data = event.data or {}
        if data.get("decision") is None and _note(event) is None:
            continue
        found = Stage(STEP_DONE, event.at, "", event.element_id, event.actor, data.get("decision"), _note(event),
                      event.task_id)
    return found
