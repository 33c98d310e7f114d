"""Which offices a service can send each staff step to, and which of them have nobody to work it.

The office rule (``engine.services.office_rule``) names one office or a start-form field with a closed list of
offices; a step may name its own. Each (step, office) pair where no active officer holds one of the step's groups
and covers that office is a file that would wait in nobody's inbox until it is handed to the supervising office
(``engine.casework.handover``). Deploy warns about them and the offices admin page lists them. A group no officer
holds anywhere is left to the candidate-group warning (``engine.people.groups.diagram_groups``), which says so
already.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.expressions import placeholder_name
from engine.people.access import ALL_JURISDICTIONS, OFFICER
from engine.services import office_rule
from engine.storage.models import FormSnapshot, ServiceDefinition, User


@dataclass(frozen=True)
class Gap:
    """A step of a service that can reach ``office``, where no active officer of ``groups`` works."""

    service_key: str
    element_id: str
    step_name: str
    groups: tuple[str, ...]
    office: str


def _offered(rule: str | None, schemas: list[dict]) -> list[str] | None:
    """The offices a rule can produce: its one code, or the closed list of the field it names (``None``: none)."""
    if rule is None:
        return None
    field = placeholder_name(rule)
    if field is None:
        return [rule] if office_rule.OFFICE_CODE.fullmatch(rule) else None
    for schema in schemas:
        offered = office_rule.choices(schema, field)
        if offered:
            return offered
    return None


def gaps(officers: list[tuple[set, set]], key: str, meta: dict, start_schema: dict | None, schemas: list[dict],
         default_office: str) -> list[Gap]:
    """The (step, office) pairs of one definition that nobody can work. ``officers`` are the active officers'
    (groups, offices)."""
    held = {group for groups, _ in officers for group in groups}
    service_offices = _offered(office_rule.rule((meta or {}).get("process")),
                               [start_schema] if start_schema else []) or [default_office]
    found = []
    for element_id, step in ((meta or {}).get("tasks") or {}).items():
        groups = tuple(g for g in step.get("candidate_groups") or () if g in held)
        if step.get("for_applicant") or step.get("assignee") or not groups:
            continue
        reachable = _offered(step.get("jurisdiction") or None, schemas) or service_offices
        for office in dict.fromkeys(reachable):
            if not any(set(groups) & their_groups and (office in their_offices or ALL_JURISDICTIONS in their_offices)
                       for their_groups, their_offices in officers):
                found.append(Gap(key, element_id, step.get("name") or element_id, groups, office))
    return found


def active_officers(session: Session) -> list[tuple[set, set]]:
    return [(set(groups or ()), set(offices or ())) for roles, groups, offices in session.execute(
        select(User.roles, User.groups, User.jurisdictions).where(User.active.is_(True)))
        if OFFICER in (roles or ())]


def published_gaps(session: Session, definitions: list[ServiceDefinition], default_office: str) -> list[Gap]:
    """The gaps of the given (published) definitions, for the offices admin page."""
    officers = active_officers(session)
    hashes = {sha for d in definitions for sha in (d.forms or {}).values()}
    schemas = {row.sha256: orjson.loads(row.schema_json) for row in session.scalars(
        select(FormSnapshot).where(FormSnapshot.sha256.in_(sorted(hashes))))} if hashes else {}
    found = []
    for definition in definitions:
        forms = {key: schemas.get(sha) for key, sha in (definition.forms or {}).items()}
        start = forms.get((definition.meta or {}).get("start_form") or "")
        found += gaps(officers, definition.key, definition.meta or {}, start,
                      [s for s in forms.values() if isinstance(s, dict)], default_office)
    return found
