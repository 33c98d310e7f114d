"""Which office (*jurisdiction*) an application belongs to: the service's rule, never the request.

The rule is the process-level ``jurisdiction`` property of the diagram: an office code (``sulsel``: the province
works every research permit) or ``${field}``, a start-form field whose answer names the office (the fishing permit's
``home_regency``: the fisheries office of the vessel's home regency works the file). Without the property, the
configured default office takes every file.

The office decides who sees and works a file, so nobody applying may name one: the API refuses a ``jurisdiction``
in the request, and a field that routes must offer a closed list of office codes (an ``enum``, or a ``oneOf``/
``anyOf`` of ``const`` choices) — checked at deploy (``deploy_problem``) and again at every start (``office_of``),
so a file never lands in an office the rule does not produce, nor in one that does not exist.
"""

from __future__ import annotations

import re

from engine.bpmn.expressions import placeholder_name
from engine.errors import InvalidData, InvalidInput
from engine.texts import N_

OFFICE_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


def rule(process_meta: dict | None) -> str | None:
    """The service's rule as written in the diagram (``None``: the default office)."""
    value = (process_meta or {}).get("jurisdiction")
    return value.strip() if isinstance(value, str) and value.strip() else None


def choices(schema: dict | None, field: str) -> list[str] | None:
    """The offices a start-form field offers (its closed list of strings); ``None`` when it offers no closed list
    or the form does not declare it."""
    properties = (schema or {}).get("properties")
    spec = properties.get(field) if isinstance(properties, dict) else None
    spec = _local_target(schema, spec)
    if not isinstance(spec, dict):
        return None
    if isinstance(spec.get("enum"), list):
        values = spec["enum"]
    else:
        branches = spec.get("oneOf") if isinstance(spec.get("oneOf"), list) else spec.get("anyOf")
        if not isinstance(branches, list) or not all(isinstance(b, dict) and "const" in b for b in branches):
            return None
        values = [b["const"] for b in branches]
    return values if values and all(isinstance(v, str) for v in values) else None


def _local_target(root, spec):
    """A field declared as ``{"$ref": "#/$defs/office"}`` offers what the referred schema offers."""
    ref = spec.get("$ref") if isinstance(spec, dict) else None
    if not (isinstance(ref, str) and ref.startswith("#/")):
        return spec
    target = root
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, dict) else None
    return target


def deploy_problem(process_meta: dict | None, start_schema: dict | None) -> tuple[str, dict] | None:
    """Why the service's rule could put a file in an office it does not mean, as a message id (``engine.texts``)
    and its parameters; ``None`` when it cannot."""
    written = rule(process_meta)
    if written is None:
        return None
    field = placeholder_name(written)
    if field is None:
        if OFFICE_CODE.fullmatch(written):
            return None
        return (N_("The service's office (process property jurisdiction) is %(written)s, which is neither an office "
                   "code nor ${field}: an office code is lowercase letters, digits, - and _ (e.g. sinjai, "
                   "luwu_timur); or name a start-form field that lists the offices, e.g. ${home_regency}."),
                {"written": repr(written)})
    offered = choices(start_schema, field)
    if offered is None:
        return (N_("The service's office comes from the start-form field %(field)s (process property jurisdiction "
                   "%(written)s), but the start form does not offer that field as a fixed list of offices, so an "
                   "applicant could send any office. Declare %(field)s in the start form's properties with an "
                   "\"enum\" of office codes (or a \"oneOf\" of {\"const\": code, \"title\": name} choices)."),
                {"field": repr(field), "written": repr(written)})
    wrong = [value for value in offered if not OFFICE_CODE.fullmatch(value)]
    if wrong:
        return (N_("The start-form field %(field)s chooses the office, but offers %(value)s, which is not an office "
                   "code: an office code is lowercase letters, digits, - and _ (e.g. sinjai, luwu_timur). Put the "
                   "office's name in the choice's \"title\"."), {"field": repr(field), "value": repr(wrong[0])})
    return None


def step_problem(written: str | None, form_schemas: list[dict]) -> tuple[str, dict] | None:
    """Why a step's own office rule (a user task's ``jurisdiction`` property) could send the step to an office it
    does not mean, as a message id and its parameters; ``None`` when it cannot. ``${field}`` may name a value a
    script sets, but a field some form of the service lets a person type must list the offices, as on the start
    form."""
    written = written.strip() if isinstance(written, str) else None
    if not written:
        return None
    field = placeholder_name(written)
    if field is None:
        if OFFICE_CODE.fullmatch(written):
            return None
        return (N_("The step's office (property jurisdiction) is %(written)s, which is neither an office code nor "
                   "${field}: an office code is lowercase letters, digits, - and _ (e.g. sinjai, luwu_timur)."),
                {"written": repr(written)})
    for schema in form_schemas:
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict) or field not in properties:
            continue
        offered = choices(schema, field)
        if offered is None:
            return (N_("The step's office comes from the field %(field)s (property jurisdiction %(written)s), which "
                       "a form of this service lets people type freely, so they could send the step to any office. "
                       "Give %(field)s an \"enum\" of office codes (or a \"oneOf\" of {\"const\": code, \"title\": "
                       "name} choices) in every form that declares it."),
                    {"field": repr(field), "written": repr(written)})
        wrong = [value for value in offered if not OFFICE_CODE.fullmatch(value)]
        if wrong:
            return (N_("The field %(field)s chooses the step's office, but offers %(value)s, which is not an office "
                       "code: an office code is lowercase letters, digits, - and _ (e.g. sinjai, luwu_timur). Put "
                       "the office's name in the choice's \"title\"."), {"field": repr(field), "value": repr(wrong[0])})
    return None


def office_of(service: str, process_meta: dict | None, start_schema: dict | None, data: dict, default: str) -> str:
    """The office of a new application of ``service`` with start data ``data`` (already validated against
    ``start_schema``).

    Raises ``InvalidData`` naming the field when the answer is missing or not one of the offices the field offers,
    and ``InvalidInput`` when the service's rule itself is unusable (a version deployed before the rule was
    checked); the message says what to do.
    """
    written = rule(process_meta)
    if written is None:
        return default
    field = placeholder_name(written)
    if field is None:
        if not OFFICE_CODE.fullmatch(written):
            raise InvalidInput(f"Service {service!r} names its office {written!r}, which is not an office code; "
                               "the office must correct the service's jurisdiction property and deploy it again.")
        return written
    answer = data.get(field)
    if answer in (None, ""):
        raise InvalidData(f"The office for this application is taken from field {field!r}, which is empty.",
                          {field: "This field is required to route the application."})
    offered = choices(start_schema, field)
    if offered is None:
        raise InvalidInput(f"Service {service!r} takes the office from field {field!r}, which does not offer a fixed "
                           "list of offices, so the office cannot be decided; the office must give the field a list "
                           "of office codes (an enum) and deploy the service again.", {field: "No list of offices."})
    if not isinstance(answer, str) or answer not in offered or not OFFICE_CODE.fullmatch(answer):
        raise InvalidData(f"Field {field!r} chooses the office; {str(answer)[:60]!r} is not one of the offices it "
                          "offers.", {field: "Choose one of the offices listed."})
    return answer
