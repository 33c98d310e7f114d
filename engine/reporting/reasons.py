"""Why the file came back or was refused, as the applicant must read it first (*alasan*).

A returned or rejected applicant opened the page and met the satisfaction survey, with the officer's words some
2,800 px further down in a history they do not even see. The reason is the office's last word on the file: the note
(and decision) of the staff step completed last before the applicant's revision step opened, or before the file
ended refused. The page puts it at the top, before any survey; the notification and e-mail carry it too
(``engine.messaging.notifications``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.messaging.notifications import note_of
from engine.reporting import timeline
from engine.storage.models import Event, Instance, Task

RETURNED = "returned"
REJECTED = "rejected"


@dataclass(frozen=True)
class Reason:
    kind: str  # RETURNED or REJECTED
    decision: str | None
    note: str | None
    at: datetime | None
    task_id: str | None = None  # the applicant's revision step, for a return


def for_applicant(instance: Instance, events: list[Event], open_tasks: list[Task], status: str,
                  username: str) -> Reason | None:
    """The reason to show ``username`` (the applicant) first, or None when the file is neither returned to them nor
    refused."""
    for task in open_tasks:
        if task.for_applicant and task.sla_pause and task.assignee == username:
            stage = timeline.last_note_before(events, task)
            return Reason(RETURNED, stage.decision if stage else None, stage.note if stage else None,
                          stage.at if stage else None, task.id)
    if status != timeline.REJECTED_STATUS:
        return None
    last = None
    for event in events:
        if event.kind == "task_completed" and event.actor != instance.applicant:
            data = event.data or {}
            if data.get("decision") is not None or _note(event):
                last = event
    if last is None:
        return Reason(REJECTED, None, None, instance.ended_at)
    return Reason(REJECTED, (last.data or {}).get("decision"), _note(last), last.at)


def _note(event: Event) -> str | None:
    submitted = (event.data or {}).get("data")
    return note_of(submitted if isinstance(submitted, dict) else None) or None
