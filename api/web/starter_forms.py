"""Starter forms: a first JSON Schema for each form a diagram names but nobody has written yet.

An analyst who works only on the web has no ``forms/`` folder to put a new form in, and the form editor edits only
forms a version already has. So a deploy from the modeler may ask for starters: each form the lint reports missing
(``form_missing``) gets a schema with a title and one note field, the diagram deploys as a draft, and the analyst
edits the new forms in the form editor. A starter never replaces a form that exists, and a Camunda-specific key
(``embedded:…``, ``camunda-forms:…``) gets none: Lincah does not render those.
"""

from __future__ import annotations

import orjson

from engine.bpmn.compiler import Compiled
from engine.forms.schemas import schema_file_name, ui_file_name

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
START_FORM_DESCRIPTION = ("Formulir awal: sunting formulir ini di editor formulir dan tambahkan isian yang harus diisi "
                          "pemohon sebelum layanan diterbitkan.")


def missing_form_keys(compiled: Compiled) -> list[str]:
    """The form keys the lint reports as ``form_missing``, Camunda-specific keys left out; sorted, no repeats."""
    meta = compiled.meta or {}
    tasks = meta.get("tasks") or {}
    keys = set()
    for problem in compiled.problems:
        if problem.code != "form_missing" or not problem.element_id:
            continue
        task = tasks.get(problem.element_id)
        key = task.get("form_key") if task is not None else meta.get("start_form")
        if key and ":" not in key:
            keys.add(key)
    return sorted(keys)


def _note_field() -> tuple[dict, dict]:
    field = {"type": "string", "title": "Catatan", "maxLength": 2000}
    ui = {"ui:widget": "textarea", "ui:options": {"rows": 4}, "ui:i18n": {"en": {"ui:title": "Note"}}}
    return field, ui


def starter_schema(title: str, description: str | None = None) -> tuple[dict, dict]:
    """A starter form: the JSON Schema and its UI schema. Only an optional note: a task's decision is its buttons."""
    note, note_ui = _note_field()
    schema = {"$schema": JSON_SCHEMA, "title": title, "type": "object", "properties": {"note": note},
              "required": []}
    if description:
        schema["description"] = description
    return schema, {"ui:order": ["note"], "note": note_ui}


def _title(compiled: Compiled, key: str) -> tuple[str, str | None]:
    """The starter's title and description: the service's name for the start form, else the first task's name."""
    meta = compiled.meta or {}
    if key == meta.get("start_form"):
        names = (meta.get("process") or {}).get("names") or {}
        return names.get("id") or compiled.key or key, START_FORM_DESCRIPTION
    for task in (meta.get("tasks") or {}).values():
        if task.get("form_key") == key:
            return task.get("name") or task.get("element_id") or key, None
    return key, None


def starter_uploads(compiled: Compiled) -> dict[str, bytes]:
    """Uploads (file name → bytes, as the deploy's form source takes them) of a starter for every missing form."""
    uploads = {}
    for key in missing_form_keys(compiled):
        schema, ui_schema = starter_schema(*_title(compiled, key))
        uploads[schema_file_name(key)] = orjson.dumps(schema, option=orjson.OPT_INDENT_2)
        uploads[ui_file_name(key)] = orjson.dumps(ui_schema, option=orjson.OPT_INDENT_2)
    return uploads
