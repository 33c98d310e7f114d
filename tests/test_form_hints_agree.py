"""Every bundled form's hints agree with its own rules: an example the form gives (``Contoh: …``, ``Misalnya: …``,
``For example: …`` in a help text, placeholder or description, and the schema's ``examples``) is accepted by the
field it stands beside. An applicant who types the hint's own example ("wawancara") and is refused by a 10-character
minimum stops trusting the form."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import PROJECT_ROOT

FORMS = sorted((PROJECT_ROOT / "forms").glob("*/*.json"))
SCHEMAS = [p for p in FORMS if not p.name.endswith(".ui.json")]
_MARKER = re.compile(r"(?:^|[\s(])(?:(?:Contoh|Misalnya|For example)\s*:|e\.g\.)\s*(.+)$", re.IGNORECASE)


def _examples(text: str) -> list[str]:
    """The examples a hint gives; a list of three or more (``survei, wawancara, observasi``) offers each alone."""
    found = _MARKER.search(text or "")
    if not found:
        return []
    example = found.group(1).strip().rstrip(".").strip()
    items = [item.strip() for item in example.split(",")]
    return items if len(items) >= 3 else [example]


def _hint_texts(ui: dict) -> list[str]:
    texts = [ui.get("ui:help"), ui.get("ui:placeholder"), ui.get("ui:description")]
    for translated in (ui.get("ui:i18n") or {}).values():
        texts += [translated.get("ui:help"), translated.get("ui:placeholder"), translated.get("ui:description")]
    return [t for t in texts if isinstance(t, str)]


def _fields(schema: dict, ui: dict, prefix: str = ""):
    for name, prop in (schema.get("properties") or {}).items():
        sub_ui = ui.get(name) if isinstance(ui.get(name), dict) else {}
        yield f"{prefix}{name}", prop, sub_ui
        if prop.get("type") == "object":
            yield from _fields(prop, sub_ui, f"{prefix}{name}.")


def _rule_breaks(prop: dict, example: str) -> str | None:
    if prop.get("type") not in ("string", None) or prop.get("format") in ("date", "date-time"):
        return None
    checked = {key: prop[key] for key in ("pattern", "minLength", "maxLength", "format", "enum") if key in prop}
    try:
        jsonschema.validate(example, {"type": "string", **checked}, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as refused:
        return refused.message
    return None


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_example_a_form_gives_is_accepted_by_its_field(path: Path):
    schema = json.loads(path.read_text("utf-8"))
    ui_path = path.with_name(path.name.replace(".json", ".ui.json"))
    ui = json.loads(ui_path.read_text("utf-8")) if ui_path.exists() else {}
    refused = []
    for name, prop, field_ui in _fields(schema, ui):
        given = [e for text in _hint_texts(field_ui) + [prop.get("description") or ""] for e in _examples(text)]
        given += [e for e in prop.get("examples") or [] if isinstance(e, str)]
        for example in given:
            reason = _rule_breaks(prop, example)
            if reason:
                refused.append(f"{name}: the example {example!r} is refused ({reason})")
    assert not refused, refused


def test_the_check_catches_a_hint_whose_example_is_too_short():
    """The known case of issue 18: 'wawancara' offered as an example of a field that needs 10 characters."""
    prop = {"type": "string", "minLength": 10}
    examples = _examples("Misalnya: survei kuesioner, wawancara, observasi, eksperimen.")
    assert examples == ["survei kuesioner", "wawancara", "observasi", "eksperimen"]
    assert [e for e in examples if _rule_breaks(prop, e)] == ["wawancara", "observasi"]
    assert _examples("nama@contoh.com") == [], "an address on an example domain is no example marker"
    assert _examples("Contoh: PPI Lappa, Sinjai") == ["PPI Lappa, Sinjai"], "a place with its regency is one example"
