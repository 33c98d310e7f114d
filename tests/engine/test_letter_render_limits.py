"""A letter template that loops or prints without end is stopped at its time or memory limit, in a child process:
the server's own process stays free, the analyst's preview and the signing step say which limit and which template,
and the signing step stays open."""

from __future__ import annotations

import dataclasses

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks
from engine.context import EngineContext
from engine.documents import letter_rendering, letter_sample
from engine.errors import Conflict
from engine.services import definitions
from engine.services.letter_templates import LetterFiles
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import APPLICANT, HEAD, VERIFIER, open_task_rows

NESTED_LOOPS = ("<html><body>{% for a in range(100000) %}{% for b in range(100000) %}{{ a * b }}{% endfor %}"
                "{% endfor %}</body></html>")
HUGE_TEXT = "<html><body><p>{{ 'x' * 4000000000 }}</p></body></html>"
# Loops only for a real file: the deploy's trial fill (a sample file, registered UJI-COBA/…) passes it, as a template
# whose cost depends on an applicant's data can, so the limit at signing is what stops it.
LOOPS_ON_A_REAL_FILE = ("<html><body>{% if not permit.registration_no.startswith('UJI-COBA') %}" + NESTED_LOOPS
                        + "{% endif %}</body></html>")


def test_nested_loops_are_stopped_at_the_time_limit():
    with pytest.raises(letter_rendering.RenderTooCostly) as stopped:
        letter_rendering.render_pdf(LetterFiles("letter.html", NESTED_LOOPS), {}, seconds=2)
    assert stopped.value.kind == "time"
    assert "took longer than 2 s" in str(stopped.value)


def test_text_larger_than_the_memory_limit_is_stopped():
    with pytest.raises(letter_rendering.RenderTooCostly) as stopped:
        letter_rendering.render_pdf(LetterFiles("letter.html", HUGE_TEXT), {}, seconds=20)
    assert stopped.value.kind == "memory"
    assert f"more than {letter_rendering.RENDER_MEMORY // 2**20} MB" in str(stopped.value)


def test_a_bounded_render_gives_the_same_letter_and_the_templates_own_error():
    files = LetterFiles("letter.html", "<html><body><p>Pemegang: {{ holder }}</p></body></html>")
    pdf = letter_rendering.render_pdf(files, {"holder": "Nelayan Bersatu"})
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-64:]
    with pytest.raises(ZeroDivisionError) as raised:
        letter_rendering.render_pdf(LetterFiles("letter.html", "<p>\n{{ holder }}\n{{ 1 // 0 }}</p>"), {"holder": "x"})
    assert raised.value.template_line == 3, "the line travels back from the child process with the error"


def _deploy_research_with(db, ctx, letter: str):
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                           definitions.form_source(ctx, path, uploads={"letter.html": letter.encode()}),
                           actor="analyst")


def _at_signing(db, ctx) -> int:
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="research_permit",
                                         data=samples.research_application(), actor=APPLICANT).id
    _complete(db, ctx, instance_id, "Task_Verify", VERIFIER, {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
    return instance_id


def _complete(db, ctx, instance_id, element_id, actor, data, decision):
    with db.transaction() as session:
        (task_id,) = [t.id for t in open_task_rows(session, instance_id) if t.element_id == element_id]
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, actor, data, decision=decision)


def test_a_looping_template_leaves_the_signing_step_open_and_names_the_template(db, settings, clock):
    ctx = EngineContext(settings=dataclasses.replace(settings, letter_render_seconds=2), clock=clock)
    _deploy_research_with(db, ctx, LOOPS_ON_A_REAL_FILE)
    instance_id = _at_signing(db, ctx)
    with pytest.raises(Conflict) as refused:
        _complete(db, ctx, instance_id, "Task_Sign", HEAD, {"note": "Sesuai"}, "Tandatangani")
    reason = refused.value.localized("en")
    assert "took longer than 2 s" in reason and "letter.html" in reason
    with db.transaction() as session:
        assert [t.element_id for t in open_task_rows(session, instance_id)] == ["Task_Sign"]
        assert session.get(applications.Instance, instance_id).status != "completed"


def test_the_preview_of_a_looping_template_says_so(db, settings, clock):
    ctx = EngineContext(settings=dataclasses.replace(settings, letter_render_seconds=2), clock=clock)
    _deploy_research_with(db, ctx, "<html><body><p>{{ holder }}</p></body></html>")
    with db.transaction() as session:
        definition = definitions.versions(session, "research_permit")[-1]
        shown = letter_sample.preview(session, ctx, definition,
                                      LetterFiles("letters/research_permit.html", NESTED_LOOPS),
                                      letter_sample.sample_data(session, ctx, definition), signer="kadis")
    (problem,) = shown.problems
    assert shown.pdf is None and problem["file"] == "letters/research_permit.html"
    assert "took longer than 2 s" in str(problem)
