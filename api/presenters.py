"""Engine objects → the plain dicts the response schemas dump. No rules here, only shape."""

from __future__ import annotations

from datetime import datetime

from engine.sla import risk
from engine.storage.models import DecisionDefinition, Event, Instance, ServiceDefinition, Task, User


def user(row: User) -> dict:
    return {"username": row.username, "full_name": row.full_name, "email": row.email, "roles": list(row.roles or []),
            "groups": list(row.groups or []), "jurisdictions": list(row.jurisdictions or []), "active": row.active,
            "institution": row.institution_code, "created_at": row.created_at}


def task(row: Task, *, registration_no: str, applicant_name: str, now: datetime) -> dict:
    # ``sla_state`` as at ``now`` (the engine's clock): at risk is read off the clock, never stored (engine.sla.risk).
    return {
        "id": row.id, "name": row.name, "element_id": row.element_id,
        "application": {"id": row.instance_id, "registration_no": registration_no, "service": row.service_key,
                        "applicant_name": applicant_name},
        "candidate_groups": list(row.candidate_groups or []), "for_applicant": bool(row.for_applicant),
        "jurisdiction": row.jurisdiction, "assignee": row.assignee, "state": row.state, "form_key": row.form_key,
        "decision_choices": list(row.decision_choices or []), "decision": row.decision,
        "created_at": row.created_at, "claimed_at": row.claimed_at, "completed_at": row.completed_at,
        "completed_by": row.completed_by, "due_at": row.due_at, "sla_state": risk.of_task(row, now),
    }


def task_of(row: Task, instance: Instance, now: datetime) -> dict:
    return task(row, registration_no=instance.registration_no, applicant_name=instance.applicant_name, now=now)


def inbox_page(page, now: datetime) -> dict:
    """An ``engine.casework.inbox.InboxPage`` as the ``InboxPage`` schema."""
    return {"items": [task(r.task, registration_no=r.registration_no, applicant_name=r.applicant_name, now=now)
                      for r in page.items], "total": page.total, "total_capped": page.total_capped,
            "next_cursor": page.next_cursor}


def completion(instance: Instance, open_tasks: list[Task], now: datetime) -> dict:
    """The answer to completing a task (``CompleteResult``): the application's new state and its open tasks."""
    return {"application": application_state(instance), "tasks": [task_of(t, instance, now) for t in open_tasks]}


def form(found) -> dict | None:
    if found is None:
        return None
    return {"key": found.key, "schema": found.schema, "ui_schema": found.ui_schema}


def service(definition: ServiceDefinition) -> dict:
    process = (definition.meta or {}).get("process", {})
    names = process.get("names") or {"id": definition.name_id, "en": definition.name_en}
    requirements = process.get("requirements") or {}
    description = process.get("description") or {}
    output = process.get("output") or {}
    return {
        "key": definition.key, "version": definition.version,
        "names": {"id": names.get("id") or definition.key, "en": names.get("en") or definition.key},
        "description": {"id": description.get("id", ""), "en": description.get("en", "")},
        "requirements": {"id": list(requirements.get("id", [])), "en": list(requirements.get("en", []))},
        "fee": str(process.get("fee", "")), "output": {"id": output.get("id", ""), "en": output.get("en", "")},
        "legal_basis": process.get("legal_basis", ""), "complaints": process.get("complaints", ""),
        "sla": process.get("sla"),
    }


def definition(row: ServiceDefinition) -> dict:
    return {"key": row.key, "version": row.version, "status": row.status, "name_id": row.name_id,
            "name_en": row.name_en, "bpmn_filename": row.bpmn_filename, "sha256": row.sha256,
            "deployed_by": row.deployed_by, "deployed_at": row.deployed_at, "published_at": row.published_at,
            "warnings": list(row.warnings or [])}


def decision(row: DecisionDefinition) -> dict:
    return {"key": row.key, "version": row.version, "name": row.name, "hit_policy": row.hit_policy}


def event(row: Event) -> dict:
    return {"id": row.id, "kind": row.kind, "actor": row.actor, "at": row.at, "task_id": row.task_id,
            "element_id": row.element_id, "data": dict(row.data or {})}


def application_state(instance: Instance) -> dict:
    return {"id": instance.id, "registration_no": instance.registration_no, "status": instance.status,
            "outcome": instance.outcome, "revision": instance.revision}


def application_summary(instance: Instance) -> dict:
    definition_row = instance.definition
    return {"id": instance.id, "registration_no": instance.registration_no, "service": instance.service_key,
            "version": definition_row.version, "service_name": definition_row.name_id,
            "applicant": instance.applicant, "applicant_name": instance.applicant_name,
            "jurisdiction": instance.jurisdiction, "status": instance.status, "outcome": instance.outcome,
            "started_at": instance.started_at, "updated_at": instance.updated_at, "ended_at": instance.ended_at}
