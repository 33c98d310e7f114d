"""The one form renderer: every widget drawn from JSON Schema + UI schema, typed parsing back, errors in place,
and the promise that what is drawn is exactly what is parsed."""

from __future__ import annotations

import io

import pytest
from flask import render_template_string
from lxml import html as lxml_html
from werkzeug.datastructures import FileStorage, MultiDict

from api import create_app
from api.web import formdata, forms
from engine.documents.attachments import UnsupportedType

SCHEMA = {
    "type": "object",
    "title": "Formulir uji",
    "required": ["name", "kind", "agree", "crew"],
    "properties": {
        "name": {"type": "string", "title": "Nama", "maxLength": 50},
        "story": {"type": "string", "title": "Cerita"},
        "email": {"type": "string", "format": "email", "title": "Email"},
        "born": {"type": "string", "format": "date", "title": "Lahir"},
        "nik": {"type": "string", "pattern": "^[0-9]{16}$", "title": "NIK"},
        "kind": {"type": "string", "title": "Jenis",
                 "oneOf": [{"const": "a", "title": "Alfa"}, {"const": "b", "title": "Beta"}]},
        "size": {"type": "string", "enum": ["s", "m"], "title": "Ukuran"},
        "level": {"type": "integer", "title": "Tingkat", "oneOf": [{"const": 1, "title": "Satu"},
                                                                   {"const": 2, "title": "Dua"}]},
        "tonnage": {"type": "number", "minimum": 5, "maximum": 30, "title": "GT"},
        "crew_count": {"type": "integer", "minimum": 1, "title": "ABK"},
        "agree": {"type": "boolean", "const": True, "title": "Setuju"},
        "gear_ok": {"type": "boolean", "title": "Alat sesuai"},
        "docs": {"type": "array", "title": "Dokumen", "uniqueItems": True,
                 "items": {"type": "string", "oneOf": [{"const": "ktp", "title": "KTP"},
                                                       {"const": "npwp", "title": "NPWP"}]}},
        "letter": {"type": "object", "format": "attachment", "title": "Surat", "x-accept": ["application/pdf"],
                   "x-max-size": 1000},
        "photos": {"type": "array", "title": "Foto",
                   "items": {"type": "object", "format": "attachment", "x-accept": ["image/png"]}},
        "address": {"type": "object", "title": "Alamat", "required": ["street"], "properties": {
            "street": {"type": "string", "title": "Jalan"}, "postcode": {"type": "integer", "title": "Kode pos"}}},
        "crew": {"type": "array", "title": "Awak", "minItems": 1, "maxItems": 3, "items": {
            "type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "title": "Nama awak"},
                "role": {"type": "string", "enum": ["captain", "deckhand"], "title": "Jabatan"}}}},
        "tags": {"type": "array", "title": "Label", "items": {"type": "string"}},
        "secret": {"type": "string", "title": "Rahasia"},
        "office": {"type": "string", "readOnly": True, "title": "Kantor"},
    },
}
UI = {
    "ui:order": ["kind", "name", "*", "office"],
    "story": {"ui:widget": "textarea", "ui:options": {"rows": 6}},
    "size": {"ui:widget": "radio"},
    "gear_ok": {"ui:widget": "radio"},
    "secret": {"ui:widget": "hidden"},
    "name": {"ui:help": "Sesuai KTP", "ui:placeholder": "Nama Anda",
             "ui:i18n": {"en": {"ui:title": "Name", "ui:help": "As on the identity card"}}},
}
DATA = {
    "name": "Andi", "story": "Baris satu\nbaris dua", "email": "andi@contoh.id", "born": "2001-02-03",
    "nik": "7371010101010001", "kind": "b", "size": "m", "level": 2, "tonnage": 12.5, "crew_count": 6,
    "agree": True, "gear_ok": False, "docs": ["npwp"], "letter": {"id": "att1", "name": "surat.pdf"},
    "photos": [{"id": "p1", "name": "a.png"}, {"id": "p2", "name": "b.png"}],
    "address": {"street": "Jl. Pelabuhan 1", "postcode": 92611},
    "crew": [{"name": "Daeng", "role": "captain"}, {"name": "Baso", "role": "deckhand"}],
    "tags": ["satu", "dua"], "secret": "s3", "office": "sinjai",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from engine.config import Settings
    from engine.context import EngineContext

    folder = tmp_path_factory.mktemp("renderer")
    ctx = EngineContext(settings=Settings(database_url=f"sqlite:///{folder / 'unused.db'}", instance_path=folder))
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx)


def draw(app, form: forms.Form, lang: str = "id", decisions=()):
    with app.test_request_context("/signin", headers={"Cookie": f"lincah_lang={lang}"}):
        markup = render_template_string(
            '{% import "web/macros/form.html" as f with context %}'
            '{{ f.render_form(form, "/go", submit="Kirim", decisions=decisions) }}', form=form, decisions=decisions)
    return lxml_html.fromstring(markup)


def one(tree, selector: str):
    found = [e for e in tree.cssselect(selector) if not e.xpath("ancestor::template")]
    assert len(found) == 1, f"{selector}: {len(found)} elements"
    return found[0]


def test_every_widget_is_drawn_as_its_control(app):
    tree = draw(app, forms.build(SCHEMA, UI, {}, locale="id"))
    name = one(tree, "input[name=name]")
    assert name.get("type") == "text" and name.get("maxlength") == "50" and name.get("placeholder") == "Nama Anda"
    assert name.get("required") is not None and "Sesuai KTP" in one(tree, "#f-name-hint").text_content()
    assert one(tree, "textarea[name=story]").get("rows") == "6"
    assert one(tree, "input[name=email]").get("type") == "email"
    assert one(tree, "input[name=born]").get("type") == "date"
    assert one(tree, "input[name=nik]").get("inputmode") == "numeric"
    assert [o.text for o in one(tree, "select[name=kind]").cssselect("option")] == ["— Pilih —", "Alfa", "Beta"]
    assert [r.get("value") for r in tree.cssselect("input[type=radio][name=size]")] == ["s", "m"]
    assert [o.get("value") for o in one(tree, "select[name=level]").cssselect("option")] == ["", "1", "2"]
    tonnage = one(tree, "input[name=tonnage]")
    assert (tonnage.get("type"), tonnage.get("min"), tonnage.get("max"), tonnage.get("step")) == (
        "number", "5", "30", "any")
    assert one(tree, "input[name=crew_count]").get("step") == "1"
    agree = one(tree, "input[name=agree]")
    assert agree.get("type") == "checkbox" and agree.get("required") is not None
    assert [label.text_content() for label in tree.cssselect("#f-gear_ok-field label")] == ["Ya", "Tidak"]
    assert len(tree.cssselect("input[type=checkbox][name=docs]")) == 2
    letter = one(tree, "input[name=letter]")
    assert letter.get("type") == "file" and letter.get("accept") == "application/pdf"
    assert letter.get("data-max-size") == "1000"
    assert one(tree, "input[name=photos]").get("multiple") is not None
    assert one(tree, "#f-address legend").text_content().startswith("Alamat")
    assert one(tree, "input[name='address.street']").get("required") is not None
    assert one(tree, "input[name='address.postcode']").get("step") == "1"
    assert one(tree, "input[name='crew.0.name']") is not None  # a required group shows its first item
    assert tree.cssselect("template input[name='crew.__INDEX__.name']"), "a blank item for adding in the browser"
    assert one(tree, "button[value='add:crew']").get("formnovalidate") is not None
    assert one(tree, "input[name='tags.0']").get("type") == "text"
    assert one(tree, "input[name=secret]").get("type") == "hidden"
    assert one(tree, "input[name=office]").get("readonly") is not None
    assert tree.cssselect("input[name=_csrf]") and one(tree, "form").get("enctype") == "multipart/form-data"


def test_ui_order_puts_named_fields_first_and_the_rest_at_the_star(app):
    form = forms.build(SCHEMA, UI, {})
    names = [f.name for f in form.fields]
    assert names[:2] == ["kind", "name"] and names[-1] == "office"
    assert set(names) == set(SCHEMA["properties"])


def test_labels_follow_the_chosen_language_when_the_ui_schema_translates_them(app):
    tree = draw(app, forms.build(SCHEMA, UI, {}, locale="en"), lang="en")
    assert one(tree, "label[for=f-name]").text_content().startswith("Name")
    assert "As on the identity card" in one(tree, "#f-name-hint").text_content()
    assert [o.text for o in one(tree, "select[name=kind]").cssselect("option")][0] == "— Choose —"


def test_errors_sit_next_to_their_fields_and_unknown_paths_are_not_lost(app):
    errors = {"crew.1.name": "Wajib diisi.", "tonnage": "Isi 30 atau kurang.", "(form)": "Formulir ditolak.",
              "ghost": "Tidak dikenal."}
    form = forms.build(SCHEMA, UI, DATA, errors=errors, raw={"tonnage": "45"})
    tree = draw(app, form)
    crew_name = one(tree, "input[name='crew.1.name']")
    assert crew_name.get("aria-invalid") == "true" and "f-crew-1-name-error" in crew_name.get("aria-describedby")
    assert one(tree, "#f-crew-1-name-error").text_content().endswith("Wajib diisi.")
    assert one(tree, "input[name=tonnage]").get("value") == "45", "what the person typed is shown again"
    summary = one(tree, "#error-summary")
    assert summary.get("role") == "alert"
    links = [a.get("href") for a in summary.cssselect("a")]
    assert links == ["#f-tonnage", "#f-crew-1-name"]
    assert "Formulir ditolak." in summary.text_content() and "Ghost: Tidak dikenal." in summary.text_content()


def _submitted(tree) -> MultiDict:
    """What a browser sends for the form as drawn (outside <template>, file inputs empty)."""
    fields = MultiDict()
    for element in tree.xpath("//input | //select | //textarea"):
        if element.xpath("ancestor::template") or not element.get("name") or element.get("disabled") is not None:
            continue
        name, tag, kind = element.get("name"), element.tag, element.get("type", "text")
        if tag == "select":
            chosen = [o.get("value") for o in element.cssselect("option") if o.get("selected") is not None]
            fields.add(name, chosen[0] if chosen else "")
        elif tag == "textarea":
            fields.add(name, element.text or "")
        elif kind in ("checkbox", "radio"):
            if element.get("checked") is not None:
                fields.add(name, element.get("value"))
        elif kind != "file":
            fields.add(name, element.get("value") or "")
    return fields


def test_what_is_drawn_is_exactly_what_is_parsed_back(app):
    tree = draw(app, forms.build(SCHEMA, UI, DATA))
    submission = formdata.parse(SCHEMA, UI, _submitted(tree))
    expected = {k: v for k, v in DATA.items() if k != "office"}  # read-only: never taken from the browser
    assert submission.data == expected and not submission.errors


def test_typed_values_come_back_as_json_types():
    posted = MultiDict([("name", "  Andi  "), ("tonnage", "12,5"), ("crew_count", "6"), ("level", "2"),
                        ("gear_ok", "false"), ("docs", "ktp"), ("docs", "npwp"), ("story", ""),
                        ("crew.0.name", "Daeng"), ("crew.2.name", "Baso"), ("crew.2.role", "deckhand"),
                        ("crew.1.name", ""), ("address.street", ""), ("kind", "a")])
    data = formdata.parse(SCHEMA, UI, posted).data
    assert data == {"name": "Andi", "tonnage": 12.5, "crew_count": 6, "level": 2, "gear_ok": False,
                    "docs": ["ktp", "npwp"], "agree": False, "kind": "a",
                    "crew": [{"name": "Daeng"}, {"name": "Baso", "role": "deckhand"}]}


def test_what_cannot_be_converted_is_kept_as_typed_with_its_error(app):
    with app.test_request_context("/", headers={"Cookie": "lincah_lang=id"}):
        submission = formdata.parse(SCHEMA, UI, MultiDict([("crew_count", "6,5"), ("tonnage", "dua belas"),
                                                           ("crew.3.name", "Baso"), ("crew.3.role", "x")]))
    assert submission.raw == {"crew_count": "6,5", "tonnage": "dua belas"}
    assert submission.errors == {"crew_count": "Isi dengan bilangan bulat.", "tonnage": "Isi dengan angka."}
    assert submission.data["crew"] == [{"name": "Baso", "role": "x"}], "items are renumbered from 0"


def test_uploads_go_to_the_store_and_kept_references_stay():
    stored = []

    def store(upload, schema):
        stored.append((upload.filename, schema.get("x-accept")))
        return {"id": f"new{len(stored)}", "name": upload.filename}

    files = MultiDict([("letter", FileStorage(io.BytesIO(b"%PDF-"), "surat.pdf")),
                       ("photos", FileStorage(io.BytesIO(b"png"), "c.png")),
                       ("photos", FileStorage(io.BytesIO(b""), ""))])
    posted = MultiDict([("photos.0.__id", "p1"), ("photos.0.__name", "a.png"), ("photos.1.__id", "p2"),
                        ("photos.1.__name", "b.png"), ("photos.1.__remove", "1")])
    data = formdata.parse(SCHEMA, UI, posted, files, store).data
    assert data["letter"] == {"id": "new1", "name": "surat.pdf"}
    assert data["photos"] == [{"id": "p1", "name": "a.png"}, {"id": "new2", "name": "c.png"}]
    assert stored == [("surat.pdf", ["application/pdf"]), ("c.png", ["image/png"])]


def test_a_refused_upload_becomes_the_fields_message(app):
    def store(upload, schema):
        raise UnsupportedType("Only PDF, JPEG and PNG files can be uploaded.")

    files = MultiDict([("letter", FileStorage(io.BytesIO(b"MZ"), "virus.exe"))])
    with app.test_request_context("/", headers={"Cookie": "lincah_lang=id"}):
        submission = formdata.parse(SCHEMA, UI, MultiDict(), files, store)
    assert submission.errors["letter"] == ("Di sini hanya berkas PDF yang dapat diunggah. Simpan dokumen sebagai PDF "
                                           "lalu unggah lagi."), "the types this field takes"
    assert "letter" not in submission.data


@pytest.mark.parametrize(("lang", "expected"), [
    ("id", {"name": "Wajib diisi.", "kind": "Pilih salah satu pilihan.", "agree": "Centang kotak ini untuk "
            "melanjutkan.", "crew.0.name": "Wajib diisi.", "email": "Isi alamat email, misalnya nama@contoh.com.",
            "nik": "Formatnya tidak sesuai; lihat petunjuk.", "tonnage": "Isi 30 atau kurang.",
            "letter": "Unggah dokumen ini."}),
    ("en", {"name": "This field is required.", "kind": "Choose one of the options.",
            "agree": "Tick this box to continue.", "crew.0.name": "This field is required.",
            "email": "Enter an e-mail address such as nama@contoh.com.",
            "nik": "The format is not right; see the hint.", "tonnage": "Enter 30 or less.",
            "letter": "Upload this document."}),
])
def test_validation_messages_are_in_the_chosen_language(app, lang, expected):
    schema = {**SCHEMA, "required": [*SCHEMA["required"], "letter"]}
    data = {"email": "bukan-email", "nik": "123", "tonnage": 45, "agree": False, "crew": [{}]}
    with app.test_request_context("/", headers={"Cookie": f"lincah_lang={lang}"}):
        messages = formdata.messages(schema, data)
    assert {path: messages.get(path) for path in expected} == expected


def test_add_and_remove_change_the_form_without_submitting_it():
    submission = formdata.parse(SCHEMA, UI, MultiDict([("crew.0.name", "Daeng"), ("_action", "add:crew")]))
    assert submission.action == ("add", "crew")
    assert formdata.apply_action(submission.data, submission.action)["crew"] == [{"name": "Daeng"}, {}]
    data = {"crew": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}
    assert formdata.apply_action(data, ("remove", "crew.1"))["crew"] == [{"name": "A"}, {"name": "C"}]
    form = forms.build(SCHEMA, UI, {"crew": [{}, {}, {}]})
    crew = next(f for f in form.fields if f.name == "crew")
    assert len(crew.children) == 3 and not crew.can_add, "maxItems 3 reached: no more adding"


def test_the_summary_shows_labels_values_and_documents(app):
    form = forms.build(SCHEMA, UI, DATA, readonly=True)
    with app.test_request_context("/signin", headers={"Cookie": "lincah_lang=id"}):
        markup = render_template_string('{% import "web/macros/form.html" as f with context %}{{ f.summary(form) }}',
                                        form=form)
    tree = lxml_html.fromstring(markup)
    rows = {" ".join(dt.text_content().split()): " ".join(dd.text_content().split())
            for dt, dd in zip(tree.cssselect("dt"), tree.cssselect("dd"), strict=False)}
    assert rows["Jenis"] == "Beta" and rows["Tingkat"] == "Dua" and rows["GT"] == "12,5"
    assert rows["Lahir"] == "3 Feb 2001" and rows["Setuju"] == "Ya" and rows["Dokumen"] == "NPWP"
    assert tree.cssselect("a[href='/files/att1']")[0].get("target") == "_blank"
