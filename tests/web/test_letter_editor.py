"""The analyst's permit-letter editor: a version's template opened and drawn with sample data, lint problems listed
by line with nothing drawn, saving as the next draft (the version in force unchanged, the publish page showing the
change), a test run's data handed over, and nobody but analysts (and admins) let in."""

from __future__ import annotations

import base64
import io
from datetime import date

import orjson
import pytest

from engine.documents import letter_sample
from engine.services import definitions, letter_templates, version_diff
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import page, text_of
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")

EDITOR = "/analyst/services/research_permit/1/letter"
BPMN = PROJECT_ROOT / "processes" / "research_permit.bpmn"


def _form(html_page) -> dict:
    """The editor's fields as the page carries them (what pressing a button sends)."""
    form = html_page.cssselect("form#letter-form")[0]
    fields = {field.get("name"): field.text or "" for field in form.cssselect("textarea")}
    fields.update({field.get("name"): field.get("value") or "" for field in form.cssselect("input[type=hidden]")})
    fields["source"] = form.cssselect("select[name=source] option[selected]")[0].get("value")
    fields.pop("_csrf", None)
    return fields


def test_the_editor_opens_the_versions_template_and_draws_it_with_data_from_the_forms(visitor):
    ana = visitor("ana")
    versions = page(ana.get("/analyst/services/research_permit"))
    assert versions.cssselect("a.letter-link")[0].get("href") == EDITOR
    shown = ana.get(EDITOR)
    assert shown.status_code == 200
    html = page(shown)
    template = html.cssselect("textarea#letter-html")[0].text
    assert "{{ data.research_title }}" in template  # processes/letters/research_permit.html, as deployed
    assert ".kop" in html.cssselect("textarea#letter-css")[0].text
    data = orjson.loads(html.cssselect("textarea#letter-data")[0].text)
    assert data["research_title"].startswith("Contoh")
    assert date.fromisoformat(data["end_date"]) > date.fromisoformat(data["start_date"])
    assert not html.cssselect("ul.letter-problems")
    (picture,) = html.cssselect("figure.letter-page img")
    assert picture.get("src").startswith("data:image/png;base64,")
    png = base64.b64decode(picture.get("src").split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    words = picture.get("alt")
    assert "DRAF" in words and data["research_title"] in words and "SURAT IZIN" in words.upper()


def test_the_editor_speaks_english_too(visitor):
    answer = visitor("ana").english().get(EDITOR)
    assert answer.status_code == 200
    words = text_of(answer)
    assert "Permit letter" in words and "Save as a new draft" in words and "Sample data" in words


def test_lint_problems_are_listed_with_their_lines_and_nothing_is_drawn(visitor):
    ana = visitor("ana")
    fields = _form(page(ana.get(EDITOR)))
    fields["html"] = ("<html><body>\n<h1>{{ permit.title }}</h1>\n<p>{{ data.research_tittle }}</p>\n"
                      "<p>{{ data.nik }}</p>\n</body></html>")
    answer = ana.post(EDITOR, {**fields, "action": "preview"})
    assert answer.status_code == 422
    html = page(answer)
    problems = {(li.get("data-line"), li.get("data-code")) for li in html.cssselect("ul.letter-problems li")}
    assert problems == {("3", "letter_unknown_field"), ("4", "letter_private_field")}
    assert "research_tittle" in text_of(answer)
    assert not html.cssselect("figure.letter-page")
    # The texts as typed stay in the editor, to be corrected.
    assert "research_tittle" in html.cssselect("textarea#letter-html")[0].text

    fields["html"] = "<p>{{ data.research_title }</p>\n<p>{% if %}</p>"
    broken = page(ana.post(EDITOR, {**fields, "action": "preview"}))
    (problem,) = broken.cssselect("ul.letter-problems li")
    assert problem.get("data-code") == "letter_syntax" and problem.get("data-line") == "1"
    assert problem.cssselect("a.letter-line")[0].get("data-line") == "1"


def test_a_template_that_fails_with_the_data_is_a_located_problem_not_an_error_page(visitor):
    ana = visitor("ana")
    fields = _form(page(ana.get(EDITOR)))
    fields["html"] = "<p>ok</p>\n<p>{{ data.research_title + 1 }}</p>"
    answer = ana.post(EDITOR, {**fields, "action": "preview"})
    assert answer.status_code == 422
    (problem,) = page(answer).cssselect("ul.letter-problems li")
    assert problem.get("data-code") == "letter_render_failed" and "TypeError" in problem.text_content()
    assert problem.get("data-line") == "2"  # the line comes back from the bounded render's child process
    fields["sample_data"] = "[1, 2"
    wrong = ana.post(EDITOR, {**fields, "action": "preview"})
    assert wrong.status_code == 422 and page(wrong).cssselect(".has-error .error-message")


def test_saving_makes_the_next_draft_and_the_running_version_keeps_its_letter(visitor, db):
    ana = visitor("ana")
    fields = _form(page(ana.get(EDITOR)))
    with db.transaction() as session:
        before = definitions.get_version(session, "research_permit", 1).meta["letter"]["sha256"]
    fields["html"] = fields["html"].replace("<h1>{{ permit.title }}</h1>", "<h1>SURAT IZIN PENELITIAN DAERAH</h1>")
    saved = ana.post(EDITOR, {**fields, "action": "save"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/analyst/services/research_permit/2/letter")
    with db.transaction() as session:
        running, draft = (definitions.get_version(session, "research_permit", n) for n in (1, 2))
        assert running.status == "published" and running.meta["letter"]["sha256"] == before
        assert draft.status == "draft" and draft.meta["letter"]["sha256"] != before
        assert "SURAT IZIN PENELITIAN DAERAH" in letter_templates.stored(session, draft.meta["letter"]["sha256"]).html
        change = version_diff.diff_versions(session, "research_permit", 1, 2).letter
        assert (change.status, change.lines_added, change.lines_removed) == ("changed", 1, 1)
        assert version_diff.diff_versions(session, "research_permit", 1, 1).letter is None
    reopened = page(ana.get("/analyst/services/research_permit/2/letter"))
    assert "SURAT IZIN PENELITIAN DAERAH" in reopened.cssselect("textarea#letter-html")[0].text
    assert "SURAT IZIN PENELITIAN DAERAH" in reopened.cssselect("figure.letter-page img")[0].get("alt")
    # Publishing the draft shows the letter as a change.
    publishing = page(ana.get("/analyst/services/research_permit/2/publishing"))
    (shown,) = publishing.cssselect("li.diff-letter")
    assert "1 baris ditambahkan, 1 dihapus" in " ".join(shown.text_content().split())
    # A form edited afterwards on the web keeps the edited letter (it is not read again from processes/letters).
    form_page = page(ana.get("/analyst/services/research_permit/2/forms/edit/research_permit/verify"))
    schema = orjson.loads(form_page.cssselect("textarea#schema")[0].text)
    schema.setdefault("properties", {})["verifier_memo"] = {"type": "string", "title": "Memo"}
    edited = ana.post("/analyst/services/research_permit/2/forms/edit/research_permit/verify",
                      {"schema": orjson.dumps(schema).decode(), "ui_schema": ""})
    assert edited.status_code == 302
    with db.transaction() as session:
        third = definitions.get_version(session, "research_permit", 3)
        assert third.meta["letter"]["sha256"] == draft.meta["letter"]["sha256"]


def test_the_modeler_deploys_a_changed_diagram_with_the_letter_edited_on_the_web(visitor, db):
    ana = visitor("ana")
    fields = _form(page(ana.get(EDITOR)))
    fields["html"] = fields["html"].replace("<h1>{{ permit.title }}</h1>", "<h1>SURAT IZIN DARI WEB</h1>")
    assert ana.post(EDITOR, {**fields, "action": "save"}).status_code == 302
    with db.transaction() as session:
        edited = definitions.get_version(session, "research_permit", 2).meta["letter"]
    diagram = BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
    deployed = ana.post("/analyst/deploy", {"bpmn": (io.BytesIO(diagram.encode()), BPMN.name),
                                            "based_on": "research_permit", "based_on_version": "2"},
                        headers={"Accept": "application/json"})
    assert deployed.status_code == 200 and deployed.get_json()["definition"]["version"] == 3
    with db.transaction() as session:
        assert definitions.get_version(session, "research_permit", 3).meta["letter"] == edited


def test_saving_a_template_with_errors_stores_nothing(visitor, db):
    ana = visitor("ana")
    fields = _form(page(ana.get(EDITOR)))
    fields["html"] += "\n{{ data.no_such_field }}"
    refused = ana.post(EDITOR, {**fields, "action": "save"})
    assert refused.status_code == 422
    (problem,) = page(refused).cssselect("ul.letter-problems li")
    assert problem.get("data-code") == "letter_unknown_field" and problem.get("data-line")
    with db.transaction() as session:
        assert [d.version for d in definitions.versions(session, "research_permit")] == [1]


def test_a_test_runs_data_fills_the_letter(visitor):
    ana = visitor("ana")
    trial_page = page(ana.post("/analyst/services/research_permit/1/trial", {
        "start_data": orjson.dumps({"applicant_name": "Uji Coba Sekali", "research_title": "Judul dari uji coba",
                                    "location_regency": "sinjai", "start_date": "2026-07-01",
                                    "end_date": "2026-08-31"}).decode()}))
    (handover,) = trial_page.cssselect("form.trial-letter")
    fields = {i.get("name"): i.get("value") for i in handover.cssselect("input")}
    fields.pop("_csrf")
    answer = ana.post(handover.get("action"), {**fields, "action": "fill"})
    assert answer.status_code == 200
    html = page(answer)
    data = orjson.loads(html.cssselect("textarea#letter-data")[0].text)
    assert data["research_title"] == "Judul dari uji coba" and data["applicant_name"] == "Uji Coba Sekali"
    assert html.cssselect("select[name=source] option[selected]")[0].get("value") == "trial"
    assert "Judul dari uji coba" in html.cssselect("figure.letter-page img")[0].get("alt")


def test_the_pdf_is_the_preview_as_a_document(visitor):
    ana = visitor("ana")
    fields = _form(page(ana.get(EDITOR)))
    pdf = ana.post("/analyst/services/research_permit/1/letter.pdf", fields)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize("username", ["andi", "vera", "mira"])
def test_only_analysts_and_admins_open_the_editor(visitor, username):
    person = visitor(username)
    assert person.get(EDITOR).status_code == 403
    assert person.post(EDITOR, {"html": "<p>x</p>", "action": "save"}).status_code == 403
    assert person.post("/analyst/services/research_permit/1/letter.pdf", {"html": "<p>x</p>"}).status_code == 403
    assert visitor("admin").get(EDITOR).status_code == 200


def test_saving_without_the_pages_csrf_token_is_refused(visitor, db):
    ana = visitor("ana")
    fields = _form(page(ana.get(EDITOR)))
    refused = ana.post(EDITOR, {**fields, "action": "save"}, csrf=False)
    assert refused.status_code in (400, 403)
    with db.transaction() as session:
        assert [d.version for d in definitions.versions(session, "research_permit")] == [1]


def test_sample_values_follow_each_fields_schema():
    today = date(2026, 12, 6)
    assert letter_sample.value_for({"type": "string", "examples": ["Kapal Mina"]}, "vessel_name", today) == "Kapal Mina"
    assert letter_sample.value_for({"type": "string", "enum": ["sinjai", "bone"]}, "regency", today) == "sinjai"
    assert letter_sample.value_for({"type": "number", "default": 12.4}, "measured_gt", today) == 12.4
    assert letter_sample.value_for({"type": "string", "format": "date"}, "start_date", today) == "2026-12-13"
    assert letter_sample.value_for({"type": "string", "format": "date"}, "end_date", today) == "2027-03-06"
    assert letter_sample.value_for({"type": "integer", "minimum": 5}, "crew", today) == 5
    assert letter_sample.value_for({"type": "string", "title": {"id": "Nama kapal"}}, "x", today) == \
        "Contoh Nama kapal"
    assert letter_sample.value_for({"type": "string", "format": "attachment"}, "ktp", today) is None
