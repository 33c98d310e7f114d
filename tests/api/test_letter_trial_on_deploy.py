"""A letter template that reads right but fails when filled — a loop without end, an unknown filter, an expression
that raises on a real file's data, a letter of megabytes — is refused when the service is deployed or linted, with
the template's file name, the line and what to change, instead of failing when the head of office signs; the bundled
services, whose templates fill, still deploy."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

from api.app import create_app
from engine.bpmn.compiler import SourceFile
from engine.context import EngineContext
from engine.documents import letter_trial
from engine.documents.letter_rendering import RENDER_MEMORY
from engine.services import definitions
from engine.services.letter_templates import CONTEXT_NAMES
from tests.api.test_definitions import _files
from tests.conftest import PROJECT_ROOT

# The trial fill has the limit an issued letter has; two seconds keep a test of a loop without end short.
SECONDS = 2
SYNTAX = "<h1>{{ permit.title }}</h1>\n<p>{% for x in data %}{{ x }}</p>\n"
NESTED_LOOPS = ("<h1>{{ permit.title }}</h1>\n{% for a in range(100000) %}{% for b in range(100000) %}{{ a * b }}"
                "{% endfor %}{% endfor %}\n")
UNKNOWN_FILTER = "<h1>{{ permit.title }}</h1>\n<p>Nama:</p>\n<p>{{ data.nama|rupiah }}</p>\n"
RAISES = "<h1>{{ permit.title }}</h1>\n<p>{{ data.nama.first.letter }}</p>\n"
HUGE_OUTPUT = ("<h1>{{ permit.title }}</h1>\n{% for i in range(100000) %}"
               "<p>{{ data.nama }} {{ i }} {{ permit.title }}</p>{% endfor %}\n")
FILLS = "<h1>{{ permit.title }}</h1>\n<p>Diberikan kepada {{ data.nama|upper }}, {{ permit.issued_on }}</p>\n"


@pytest.fixture
def ctx(settings, clock):
    return EngineContext(settings=dataclasses.replace(settings, letter_render_seconds=SECONDS), clock=clock)


@pytest.fixture
def client(db, ctx):
    return create_app({"TESTING": True}, context=ctx, session_factory=db.factory).test_client()


def _with_letter(template: str) -> dict:
    files = _files()
    files["letter"] = (io.BytesIO(template.encode()), "letter.html")
    return files


def _refused(client, people, template: str, what: str = "definitions") -> dict:
    """The one problem deploying (or linting) the test service with ``template`` as its letter answers."""
    response = client.post(f"/api/v1/{what}", headers=people.headers("analis"), data=_with_letter(template),
                           content_type="multipart/form-data")
    if what == "definitions":
        assert response.status_code == 422, response.get_json()
        problems = response.get_json()["error"]["problems"]
    else:
        assert response.status_code == 200 and response.get_json()["ok"] is False
        problems = response.get_json()["problems"]
    (problem,) = problems
    assert problem["severity"] == "error" and problem["file"] == "upload:letter.html"
    assert problem["message"] != problem["message_id"], "said in Indonesian too"
    return problem


@pytest.mark.parametrize("what", ["definitions", "lint"])
def test_a_template_that_does_not_parse_is_refused_with_its_line(client, people, what):
    problem = _refused(client, people, SYNTAX, what)
    assert (problem["code"], problem["line"]) == ("letter_syntax", 2)


@pytest.mark.parametrize("what", ["definitions", "lint"])
def test_a_loop_without_end_is_stopped_at_the_letters_time_limit_and_refused(client, people, what):
    problem = _refused(client, people, NESTED_LOOPS, what)
    assert problem["code"] == "letter_fill_too_slow" and problem["line"] == 2, "the loops' line"
    assert f"longer than {SECONDS} s" in problem["message"] and f"lebih dari {SECONDS} detik" in problem["message_id"]


@pytest.mark.parametrize("what", ["definitions", "lint"])
def test_an_unknown_filter_is_refused_with_its_name_and_line(client, people, what):
    problem = _refused(client, people, UNKNOWN_FILTER, what)
    assert (problem["code"], problem["line"]) == ("letter_compile", 3)
    assert "rupiah" in problem["message"] and "rupiah" in problem["message_id"]


def test_an_expression_that_raises_on_the_forms_data_is_refused_with_its_line(client, people):
    problem = _refused(client, people, RAISES)
    assert (problem["code"], problem["line"]) == ("letter_fill_failed", 2)
    assert "first" in problem["message"]


def test_a_letter_of_megabytes_is_refused_by_its_size(client, people):
    problem = _refused(client, people, HUGE_OUTPUT)
    assert problem["code"] == "letter_fill_too_large_output" and "KB of HTML" in problem["message"]
    assert problem["line"] == 2


def test_a_template_that_fills_deploys_and_nothing_was_stored_for_a_refused_one(client, people):
    analyst = people.headers("analis")
    _refused(client, people, UNKNOWN_FILTER)
    assert client.get("/api/v1/definitions", headers=analyst).get_json() == []
    response = client.post("/api/v1/definitions", headers=analyst, data=_with_letter(FILLS),
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def test_the_bundled_services_lint_and_deploy_with_their_letters(db, ctx):
    bundled = sorted((PROJECT_ROOT / "processes").glob("*.bpmn"))
    tables = [SourceFile(p.name, p.read_bytes()) for p in sorted((PROJECT_ROOT / "processes").glob("*.dmn"))]
    lettered = {Path(p).stem for p in (PROJECT_ROOT / "processes" / "letters").glob("*.html")}
    deployed = set()
    for path in bundled:
        with db.transaction() as session:
            result = definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), tables,
                                        definitions.form_source(ctx, path), actor="analis")
            if (result.definition.meta or {}).get("letter"):
                deployed.add(result.definition.key)
    assert lettered and deployed == lettered


def test_text_past_the_letters_memory_limit_is_stopped_and_refused(client, people):
    problem = _refused(client, people, "<h1>{{ permit.title }}</h1>\n<p>{{ 'x' * 4000000000 }}</p>\n")
    assert problem["code"] == "letter_fill_too_large" and f"{RENDER_MEMORY // 2**20} MB" in problem["message"]


def test_the_trial_fill_gives_a_template_every_name_an_issued_letter_has(ctx):
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    compiled = definitions.lint(ctx, SourceFile(path.name, path.read_bytes()), [], definitions.form_source(ctx, path))
    context = letter_trial.sample_context(ctx, compiled)
    assert set(context) == CONTEXT_NAMES
    assert context["data"]["research_title"] and "nik" not in context["data"], "a sample file, never a person's"
    assert context["permit"]["registration_no"].startswith("UJI-COBA/")
    assert context["data"]["proposal"]["name"], "an upload's reference, as a real file holds"
