"""What an office step recorded, for the file's history: the inspection's date and findings, the measured tonnage,
the documents a verifier ticked — the values the officer entered, labelled and shown as their form shows them.

The history already shows each step's decision and note; without the rest, the next office (the province reviewing
a regency's inspection) and an auditor reading the file saw that a step was done, not what it found.
"""

from __future__ import annotations

from engine.services import definitions

from ..unit_of_work import session
from . import forms, i18n
from .blueprint import bp

# Shown on the history line itself.
SHOWN_ELSEWHERE = frozenset({"decision", "note", "response_note"})


def _present(value) -> bool:
    return value is not None and value != "" and value != [] and value != {}


@bp.app_template_global("step_record")
def step_record(instance, event) -> list[forms.Field]:
    """The fields an officer's completed step recorded (besides its decision and note), filled and read-only;
    empty for other events, applicant steps and steps without a form."""
    if event.kind != "task_completed" or not event.element_id or instance is None:
        return []
    values = (event.data or {}).get("data") or {}
    step = (((instance.definition.meta or {}).get("tasks") or {}).get(event.element_id)) or {}
    present = {name for name, value in values.items() if name not in SHOWN_ELSEWHERE and _present(value)}
    if step.get("for_applicant") or not present:
        return []
    form = definitions.form_of(session(), instance.definition, step.get("form_key"))
    if form is None or not isinstance(form.schema, dict):
        return []
    built = forms.build(form.schema, form.ui_schema, values, locale=i18n.lang(), readonly=True)
    return [field for field in built.fields if field.name in present]
