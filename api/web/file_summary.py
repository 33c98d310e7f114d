"""The file summary on an officer's task page: what every earlier office step recorded — the regency's
recommendation number, the inspection's findings and measured tonnage, the documents a verifier ticked, the notes —
labelled with each form's own titles, above the form, so the next office decides with it in view instead of
digging through the history table.

A step done twice (a file returned and verified again) shows its latest record. Values are shown as the history
shows them (``api.web.records``): read-only form fields, documents as links; nothing goes through ``|safe``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.services import definitions

from ..unit_of_work import session
from . import forms, i18n
from .blueprint import bp


@dataclass
class Recorded:
    """One earlier step as the summary shows it."""

    element_id: str
    title: str  # the form's own title (in the page's language), else the step's name
    actor: str | None
    at: datetime
    decision: str | None
    fields: list[forms.Field] = field(default_factory=list)


def _present(value) -> bool:
    return value is not None and value != "" and value != [] and value != {}


@bp.app_template_global("file_summary")
def file_summary(instance, events, current_task=None) -> list[Recorded]:
    """The latest record of each office step completed before this page, in the order they were done."""
    tasks = (instance.definition.meta or {}).get("tasks") or {}
    latest: dict[str, object] = {}
    for event in events:
        step = tasks.get(event.element_id or "") or {}
        if event.kind != "task_completed" or not step or step.get("for_applicant"):
            continue
        if current_task is not None and event.task_id == current_task.id:
            continue
        latest.pop(event.element_id, None)  # re-inserted: the order is that of the latest completion
        latest[event.element_id] = event
    return [_recorded(instance, tasks[element_id], event) for element_id, event in latest.items()]


def _recorded(instance, step: dict, event) -> Recorded:
    values = (event.data or {}).get("data") or {}
    decision = (event.data or {}).get("decision")
    form = definitions.form_of(session(), instance.definition, step.get("form_key"))
    title, fields = step.get("name") or event.element_id, []
    if form is not None and isinstance(form.schema, dict):
        built = forms.build(form.schema, form.ui_schema, values, locale=i18n.lang(), readonly=True)
        title = built.title or title
        present = {name for name, value in values.items() if name != "decision" and _present(value)}
        fields = [f for f in built.fields if f.name in present]
    return Recorded(event.element_id, title, event.actor, event.at, decision, fields)
