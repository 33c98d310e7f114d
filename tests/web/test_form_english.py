"""Every service form speaks English too: each field (at every level), each choice and the form itself has an English
label in its UI schema's ``ui:i18n.en``, and the pages in English show those labels instead of the Indonesian ones."""

from __future__ import annotations

import json

import pytest

from api.web import forms
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import page

FORMS_DIR = PROJECT_ROOT / "forms"
SCHEMA_FILES = sorted(p for p in FORMS_DIR.glob("**/*.json") if not p.name.endswith(".ui.json"))


def _ui_file(schema_file):
    return schema_file.with_name(schema_file.name[:-len(".json")] + ".ui.json")


def _load(schema_file):
    """A form's schema and UI schema (``{}`` when it has no UI schema, so every label of it is reported missing)."""
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    ui_file = _ui_file(schema_file)
    return schema, json.loads(ui_file.read_text(encoding="utf-8")) if ui_file.exists() else {}


def _english(ui) -> dict:
    overlay = ((ui.get("ui:i18n") or {}).get("en") if isinstance(ui, dict) else None) or {}
    return overlay if isinstance(overlay, dict) else {}


def _said(overlay: dict, key: str):
    """What the English overlay says for a UI key, as the renderer reads it (``ui:<key>`` or ``<key>``)."""
    return overlay.get(f"ui:{key}", overlay.get(key))


def missing_english(schema: dict, ui: dict) -> list[str]:
    """Every place a form shows Indonesian text with no English for it, as ``field.path: what is missing``."""
    problems = []
    root = schema
    ui = ui if isinstance(ui, dict) else {}
    overlay = _english(ui)
    if (schema.get("title") or forms.ui_option(ui, "title")) and not _said(overlay, "title"):
        problems.append("(form): no English ui:title")
    if (schema.get("description") or forms.ui_option(ui, "description")) and not _said(overlay, "description"):
        problems.append("(form): no English ui:description")

    def field(node_schema, node_ui, path: str, labelled: bool = True) -> None:
        node_schema = forms.resolve(node_schema, root)
        node_ui = node_ui if isinstance(node_ui, dict) else {}
        english = _english(node_ui)
        title = _said(english, "title")
        if labelled and not (isinstance(title, str) and title.strip()):
            problems.append(f"{path}: no English ui:title")
        for key in ("description", "help", "placeholder"):
            indonesian = forms.ui_option(node_ui, key) or (node_schema.get(key) if key == "description" else None)
            if indonesian and not _said(english, key):
                problems.append(f"{path}: no English ui:{key} (for {indonesian!r})")
        choices = forms.choices_of(node_schema)
        if choices:
            names = _said(english, "enumNames")
            if not isinstance(names, list) or len(names) != len(choices) or not all(
                    isinstance(n, str) and n.strip() for n in names):
                problems.append(f"{path}: ui:i18n.en.ui:enumNames must name all {len(choices)} choices "
                                f"{[c.get('const') for c in choices]} in order (has {names!r})")
        objects(node_schema, node_ui, path)
        if forms.type_of(node_schema) == "array":
            items = forms.resolve(node_schema.get("items") or {}, root)
            items_ui = node_ui.get("items")
            # the choices of checkboxes, and any title an item has, are read from the UI schema under "items"
            if items.get("title") or forms.type_of(items) == "object" or forms.choices_of(items):
                field(items, items_ui, f"{path}.items",
                      labelled=bool(items.get("title")) or forms.type_of(items) == "object")

    def objects(node_schema, node_ui, prefix: str) -> None:
        for name, sub in (node_schema.get("properties") or {}).items():
            path = f"{prefix}.{name}" if prefix else name
            sub_ui = node_ui.get(name)
            if not isinstance(sub_ui, dict):
                problems.append(f"{path}: no UI entry (add one with ui:i18n.en)")
                sub_ui = {}
            field(sub, sub_ui, path)

    objects(schema, ui, "")
    return problems


@pytest.mark.parametrize("schema_file", SCHEMA_FILES, ids=[str(p.relative_to(FORMS_DIR)) for p in SCHEMA_FILES])
def test_every_field_of_every_service_form_has_english_labels(schema_file):
    schema, ui = _load(schema_file)
    problems = missing_english(schema, ui)
    where = _ui_file(schema_file).relative_to(PROJECT_ROOT)
    assert not problems, f"{where} lacks English (ui:i18n.en) for:\n  " + "\n  ".join(problems)


def test_the_forms_of_both_services_are_checked():
    names = {str(p.relative_to(FORMS_DIR)) for p in SCHEMA_FILES}
    assert {"research_permit/apply.json", "research_permit/verify.json", "fishing_vessel_permit/apply.json",
            "fishing_vessel_permit/inspect.json"} <= names
    assert len(names) >= 10


def test_a_field_added_without_english_is_found_at_any_depth():
    schema = {"type": "object", "title": "Uji", "properties": {
        "name": {"type": "string", "title": "Nama"},
        "kind": {"type": "string", "title": "Jenis", "enum": ["a", "b"]},
        "docs": {"type": "array", "title": "Dokumen", "items": {"type": "string", "oneOf": [
            {"const": "ktp", "title": "KTP"}, {"const": "npwp", "title": "NPWP"}]}},
        "crew": {"type": "array", "title": "Awak", "items": {"type": "object", "title": "Awak kapal", "properties": {
            "role": {"type": "string", "title": "Jabatan", "description": "Di kapal"}}}},
        "address": {"type": "object", "title": "Alamat", "properties": {"street": {"type": "string",
                                                                                 "title": "Jalan"}}},
    }}
    ui = {"ui:i18n": {"en": {"ui:title": "Test"}},
          "name": {"ui:help": "Sesuai KTP", "ui:i18n": {"en": {"ui:title": "Name"}}},
          "kind": {"ui:i18n": {"en": {"ui:title": "Kind", "ui:enumNames": ["A"]}}},
          "docs": {"ui:i18n": {"en": {"ui:title": "Documents"}}},
          "crew": {"ui:i18n": {"en": {"ui:title": "Crew"}}, "items": {"role": {}}},
          "address": {"ui:i18n": {"en": {"ui:title": "Address"}}}}
    problems = missing_english(schema, ui)
    assert problems == [
        "name: no English ui:help (for 'Sesuai KTP')",
        "kind: ui:i18n.en.ui:enumNames must name all 2 choices ['a', 'b'] in order (has ['A'])",
        "docs.items: ui:i18n.en.ui:enumNames must name all 2 choices ['ktp', 'npwp'] in order (has None)",
        "crew.items: no English ui:title",
        "crew.items.role: no English ui:title",
        "crew.items.role: no English ui:description (for 'Di kapal')",
        "address.street: no UI entry (add one with ui:i18n.en)",
        "address.street: no English ui:title",
    ]


def test_the_english_labels_reach_the_fields_the_renderer_builds():
    """Choices of checkboxes come from the UI schema under ``items``; English must land where the renderer looks."""
    schema, ui = _load(FORMS_DIR / "research_permit" / "verify.json")
    checklist = next(f for f in forms.build(schema, ui, {}, locale="en").fields if f.name == "checklist")
    assert checklist.label == "Documents checked and in order"
    assert [o.label for o in checklist.options][:2] == ["Application letter", "Recommendation / cover letter"]
    indonesian = next(f for f in forms.build(schema, ui, {}, locale="id").fields if f.name == "checklist")
    assert [o.label for o in indonesian.options][:2] == ["Surat permohonan", "Surat rekomendasi/pengantar"]

    for schema_file in SCHEMA_FILES:  # no field of any form is left with its Indonesian label in English
        schema, ui = _load(schema_file)
        english = forms.build(schema, ui, {}, locale="en")
        indonesian = forms.build(schema, ui, {}, locale="id")
        assert english.title and english.title != indonesian.title, schema_file
        for en_field, id_field in zip(forms.walk(english.fields), forms.walk(indonesian.fields), strict=True):
            assert en_field.label != id_field.label or en_field.label in ("Email",), (schema_file, en_field.name)
            if id_field.help:
                assert en_field.help != id_field.help, (schema_file, en_field.name)


# --- the pages ------------------------------------------------------------------------------------------------


def _labels(tree) -> dict[str, str]:
    """Field id → its label (or legend) text, without the required marker."""
    out = {}
    for element in tree.cssselect("form label[for], form legend"):
        for marker in element.cssselect(".required"):
            marker.drop_tree()
        key = element.get("for") or element.getparent().get("id")
        out[key] = " ".join(element.text_content().split())
    return out


@pytest.mark.usefixtures("deployed", "people")
def test_the_research_permit_start_form_in_english_shows_english_labels(visitor):
    response = visitor("andi").english().get("/services/research_permit/apply")
    assert response.status_code == 200
    tree = page(response)
    labels = _labels(tree)
    assert labels["f-applicant_name"] == "Full name"
    assert labels["f-nik"] == "National identity number (NIK)"
    assert labels["f-applicant_category"] == "Applicant category"
    assert labels["f-ktp"] == "Identity card – KTP (PDF/JPG/PNG)"
    assert labels["f-campus_recommendation"] == (
        "Recommendation / cover letter from the university or institution (PDF)")
    assert [labels[f"f-applicant_category-{n}"] for n in range(1, 5)] == [
        "Student", "University lecturer / researcher", "Individual / independent researcher",
        "Organisation / institution"]
    assert tree.cssselect("input[name=applicant_name]")[0].get("placeholder") == "As on your identity card (KTP)"
    hint = " ".join(tree.cssselect("#f-nik-hint")[0].text_content().split())
    assert "The National Identity Number on the identity card (KTP), 16 digits." in hint
    assert hint.count("KTP") == 1, "said once, not again as a help text"
    options = [o.text_content() for o in tree.cssselect("select[name=location_regency] option")]
    assert "Makassar City" in options and "Selayar Islands Regency" in options
    assert tree.cssselect(".form-title")[0].text_content() == "Research Permit Application"
    text = " ".join(tree.text_content().split())
    for indonesian in ("Nama lengkap", "Kategori pemohon", "Mahasiswa", "Dosen/peneliti perguruan tinggi",
                       "Surat rekomendasi/pengantar", "Nomor Induk Kependudukan", "Sesuai KTP",
                       "Kota Makassar", "Permohonan Izin Penelitian", "Saya menyatakan bahwa"):
        assert indonesian not in text and indonesian not in response.get_data(as_text=True), indonesian


@pytest.mark.usefixtures("deployed", "people")
def test_the_research_permit_start_form_in_indonesian_keeps_the_indonesian_labels(visitor):
    tree = page(visitor("andi").get("/services/research_permit/apply"))
    labels = _labels(tree)
    assert labels["f-applicant_name"] == "Nama lengkap"
    assert labels["f-nik"] == "NIK"
    assert labels["f-applicant_category"] == "Kategori pemohon"
    assert labels["f-ktp"] == "KTP (PDF/JPG/PNG)"
    assert [labels[f"f-applicant_category-{n}"] for n in range(1, 5)] == [
        "Mahasiswa", "Dosen/peneliti perguruan tinggi", "Perorangan/peneliti mandiri", "Organisasi/lembaga"]
    assert tree.cssselect("input[name=applicant_name]")[0].get("placeholder") == "Sesuai KTP"
    assert "Nomor Induk Kependudukan sesuai KTP (16 digit)." in tree.cssselect("#f-nik-hint")[0].text_content()
    assert tree.cssselect(".form-title")[0].text_content() == "Permohonan Izin Penelitian"
    text = " ".join(tree.text_content().split())
    for english in ("Full name", "Applicant category", "University lecturer", "Identity card",
                    "Research Permit Application", "Makassar City"):
        assert english not in text, english
