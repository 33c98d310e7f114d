"""What a choice means is what the diagram declares (``decision.meaning`` on its flow, ``outcome.meaning`` on an end
event), read once at deploy; the words of its name are only the fallback where nothing is declared, and lint says
where nobody can tell and it matters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from engine.bpmn import choices
from engine.bpmn.compiler import SourceFile
from engine.bpmn.names import xpath
from engine.bpmn.problems import ProblemList
from engine.bpmn.rewrite import rewrite
from engine.forms.schemas import FormSource
from engine.messaging import notifications as stages
from engine.reporting import timeline
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.drive import create_staff, events, instance, notifications, open_rows, row, sla_pass, start, step
from tests.engine.conftest import VERIFIER, diagram


def _flow(flow_id: str, name: str, target: str, meaning: str | None = None) -> str:
    if meaning is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" name="{name}" sourceRef="gw" targetRef="{target}"/>'
    return (f'<bpmn:sequenceFlow id="{flow_id}" name="{name}" sourceRef="gw" targetRef="{target}">\n'
            f'  <bpmn:extensionElements><camunda:properties>\n'
            f'    <camunda:property name="decision.meaning" value="{meaning}"/>\n'
            f'  </camunda:properties></bpmn:extensionElements></bpmn:sequenceFlow>')


def review(first=("Setujui", None), second=("Tunda", None), *, task_properties: str = "",
           end_names=("Permohonan disetujui", "Selesai"), end_properties=("", "")) -> str:
    """Review → a decision between two choices (name, declared meaning or None), each to its own end event."""
    ends = "".join(f'<bpmn:endEvent id="end{i}" name="{name}">{props}</bpmn:endEvent>'
                   for i, (name, props) in enumerate(zip(end_names, end_properties, strict=True)))
    return diagram(f"""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
        <bpmn:userTask id="review" name="Telaah" camunda:candidateGroups="verifier">
          <bpmn:extensionElements><camunda:properties>{task_properties}</camunda:properties></bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/><bpmn:exclusiveGateway id="gw"/>
        {_flow("c0", first[0], "end0", first[1])}
        {_flow("c1", second[0], "end1", second[1])}
        {ends}""")


def prop(name: str, value: str) -> str:
    return f'<camunda:property name="{name}" value="{value}"/>'


def outcome(value: str) -> str:
    return f"<bpmn:extensionElements><camunda:properties>{prop('outcome.meaning', value)}</camunda:properties>" \
           "</bpmn:extensionElements>"


def lint(ctx, xml: str):
    return definitions.lint(ctx, SourceFile("t.bpmn", xml.encode()), [], FormSource({}, []))


def meaning_problems(compiled) -> list[tuple[str, str, str]]:
    codes = ("decision_meaning", "outcome_meaning", "sla_approve", "sla_on_breach")
    return [(p.severity, p.code, p.element_id) for p in compiled.problems if p.code.startswith(codes)]


# --- lint --------------------------------------------------------------------------------------------------------


def test_declared_meanings_lint_clean_and_are_kept_in_the_meta(ctx):
    compiled = lint(ctx, review(("Teruskan", "approve"), ("Tunda", "other")))
    assert meaning_problems(compiled) == [] and compiled.ok
    assert compiled.meta["tasks"]["review"]["meanings"] == {"Teruskan": "approve", "Tunda": "other"}
    # Each end event means what the one choice leading to it means, whatever its name says.
    assert compiled.meta["outcomes"] == {"Permohonan disetujui": "approve", "Selesai": "other"}


def test_a_choice_nobody_can_tell_is_a_warning_on_its_flow_saying_what_to_write(ctx):
    xml = review(("Setujui", None), ("Teruskan", None))
    compiled = lint(ctx, xml)
    assert meaning_problems(compiled) == [("warning", "decision_meaning_unknown", "c1")] and compiled.ok
    (problem,) = [p for p in compiled.problems if p.code == "decision_meaning_unknown"]
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'id="c1"' in text)
    assert problem.line == line and problem.file == "t.bpmn"
    assert "'Teruskan'" in problem.message and "decision.meaning = approve | reject | return | other" in \
        problem.message
    assert "decision.meaning" in problem.message_id
    # Words the fallback reads (Setujui) are not reported; a declaration on the end event also silences it.
    assert meaning_problems(lint(ctx, review(("Setujui", None), ("Teruskan", None),
                                             end_properties=("", outcome("other"))))) == []


def test_an_unreadable_meaning_is_an_error_on_its_property_line(ctx):
    xml = review(("Setujui", "setuju"), ("Tolak", None))
    compiled = lint(ctx, xml)
    assert meaning_problems(compiled) == [("error", "decision_meaning_invalid", "c0")] and not compiled.ok
    (problem,) = [p for p in compiled.problems if p.code == "decision_meaning_invalid"]
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'value="setuju"' in text)
    assert problem.line == line and "'setuju'" in problem.message and problem.message_id
    bad_end = lint(ctx, review(end_properties=(outcome("issued"), "")))
    assert ("error", "outcome_meaning_invalid", "end0") in meaning_problems(bad_end) and not bad_end.ok


def test_a_meaning_written_where_nothing_reads_it_is_a_warning(ctx):
    xml = diagram(f"""
        <bpmn:startEvent id="s"/>
        <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review">
          <bpmn:extensionElements><camunda:properties>{prop("decision.meaning", "approve")}</camunda:properties>
          </bpmn:extensionElements></bpmn:sequenceFlow>
        <bpmn:userTask id="review" name="Telaah" camunda:candidateGroups="verifier">
          <bpmn:extensionElements><camunda:properties>{prop("outcome.meaning", "approve")}</camunda:properties>
          </bpmn:extensionElements></bpmn:userTask>
        <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>""")
    compiled = lint(ctx, xml)
    assert meaning_problems(compiled) == [("warning", "decision_meaning_ignored", "f0"),
                                          ("warning", "outcome_meaning_ignored", "review")] and compiled.ok


def test_an_end_reached_after_choices_that_disagree_is_a_warning(ctx):
    xml = diagram("""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
        <bpmn:userTask id="review" name="Telaah" camunda:candidateGroups="verifier"/>
        <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/><bpmn:exclusiveGateway id="gw"/>
        <bpmn:sequenceFlow id="a" name="Setujui" sourceRef="gw" targetRef="e"/>
        <bpmn:sequenceFlow id="b" name="Tolak" sourceRef="gw" targetRef="e"/>
        <bpmn:endEvent id="e" name="Selesai"/>""")
    compiled = lint(ctx, xml)
    assert meaning_problems(compiled) == [("warning", "outcome_meaning_unknown", "e")] and compiled.ok
    assert compiled.meta["outcomes"] == {"Selesai": None}


def test_the_automatic_decision_is_an_error_where_it_would_take_the_wrong_choice(ctx):
    on_breach = prop("sla", "PT1H") + prop("sla.on_breach", "approve")
    # sla.approve names a choice the diagram declares a refusal.
    contradicted = lint(ctx, review(("Setujui", "reject"), ("Teruskan", "approve"),
                                    task_properties=on_breach + prop("sla.approve", "Setujui")))
    assert ("error", "sla_approve_contradicts", "review") in meaning_problems(contradicted) and not contradicted.ok
    # Two choices approve and none is named: the engine would take one nobody chose.
    ambiguous = lint(ctx, review(("Setujui", None), ("Teruskan", "approve"), task_properties=on_breach))
    assert meaning_problems(ambiguous) == [("error", "sla_approve_ambiguous", "review")] and not ambiguous.ok
    named = lint(ctx, review(("Setujui", None), ("Teruskan", "approve"),
                             task_properties=on_breach + prop("sla.approve", "Teruskan")))
    assert meaning_problems(named) == [] and named.ok
    # Nothing approves: the step stays breached (and the log says why) — allowed, but said, with what to write.
    nothing = lint(ctx, review(("Setujui", "reject"), ("Tunda", "other"), task_properties=on_breach))
    assert meaning_problems(nothing) == [("warning", "sla_on_breach_no_approval", "review")] and nothing.ok
    (problem,) = [p for p in nothing.problems if p.code == "sla_on_breach_no_approval"]
    assert "decision.meaning=approve" in problem.message


def test_the_bundled_services_declare_every_meaning(ctx):
    starter = PROJECT_ROOT / "api" / "web" / "templates" / "web" / "analyst" / "bpmn" / "approval.bpmn"
    for path in [*sorted((PROJECT_ROOT / "processes").glob("*.bpmn")), starter]:
        root = etree.fromstring(path.read_bytes())
        decisions = rewrite(root, ProblemList(), path.name, "Asia/Makassar")
        (process,) = [p for p in xpath(root, "./bpmn:process") if p.get("isExecutable") == "true"]
        found = choices.resolve(process, decisions, {}, {"properties": {}})
        assert found.choices, path.name
        assert {c.source for chosen in found.choices.values() for c in chosen} == {"declared"}, path.name
        assert {e.source for e in found.ends} <= {"declared", "choices"}, path.name
        if path == starter:
            continue
        tables = [SourceFile(p.name, p.read_bytes()) for p in sorted(path.parent.glob("*.dmn"))]  # as deploy reads
        compiled = definitions.lint(ctx, SourceFile(path.name, path.read_bytes()), tables,
                                    definitions.form_source(ctx, path))
        assert meaning_problems(compiled) == [], path.name
    fishing = lint_file(ctx, "fishing_vessel_permit")
    assert fishing.meta["outcomes"] == {"Berkas ditutup (tidak dilengkapi)": "other",
                                        "Permohonan ditolak kabupaten": "reject", "Kapal tidak layak": "reject",
                                        "Permohonan ditolak provinsi": "reject", "SIPI terbit": "approve",
                                        # the head of office refuses to sign (issue 17's signing step)
                                        "Permohonan ditolak Kepala Dinas": "reject"}
    assert fishing.meta["tasks"]["Task_Recommend"]["meanings"] == {
        "Rekomendasikan": "approve", "Kembalikan untuk perbaikan": "return", "Tolak": "reject"}


def lint_file(ctx, key: str):
    path = PROJECT_ROOT / "processes" / f"{key}.bpmn"
    return definitions.lint(ctx, SourceFile(path.name, path.read_bytes()), [], definitions.form_source(ctx, path))


# --- the fallback, in one place ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "meaning"), [
    ("Setujui", "approve"), ("Rekomendasikan", "approve"), ("Tidak setuju", "reject"), ("Tolak", "reject"),
    ("Kembalikan untuk perbaikan", "return"), ("Tunda", None),
])
def test_without_a_declaration_the_words_tell(name, meaning):
    assert choices.guess_choice(name) == meaning
    # A definition deployed before meanings were resolved (no "meanings" in its meta) is read the same way.
    assert choices.choice_meaning(name, {"properties": {}}) == meaning


def test_a_declaration_wins_over_the_words_at_run_time():
    settings = {"meanings": {"Setujui": "reject", "Teruskan": "approve"}, "properties": {}}
    assert choices.choice_meaning("Setujui", settings) == "reject"
    assert choices.approving_choice(["Setujui", "Teruskan"], settings, {}) == "Teruskan"
    assert choices.approving_choice(["Setujui"], settings, {"properties": {"sla.approve": "Setujui"}}) is None
    assert stages.outcome_kind("Permohonan disetujui", {}, {"outcomes": {"Permohonan disetujui": "reject"}}) == \
        stages.REJECTED


# --- a misleading name, end to end ---------------------------------------------------------------------------------


class TestAMisleadingName:
    """A flow named "Setujui" that the analyst declared a refusal is a refusal everywhere."""

    @pytest.fixture(autouse=True)
    def _staff(self, db, ctx):
        create_staff(db, ctx)

    def test_the_sla_pass_does_not_approve_with_it(self, db, ctx, clock, deploy):
        deploy(review(("Setujui", "reject"), ("Tunda", "other"),
                      task_properties=prop("sla", "PT1H") + prop("sla.on_breach", "approve")))
        iid = start(db, ctx, "p")
        clock.advance(timedelta(hours=2))
        assert sla_pass(db, ctx).approved == 0
        (pending,) = open_rows(db, iid)
        assert (pending.sla_state, pending.sla_action, pending.decision) == ("breached", "failed", None)
        (failed,) = events(db, iid, "fiktif_positif_failed")
        assert "decision.meaning=approve" in failed.data["reason"]
        assert notifications(db, "application_approved") == []

    def test_the_sla_pass_approves_with_the_choice_declared_approving(self, db, ctx, clock, deploy):
        deploy(review(("Setujui", "reject"), ("Teruskan", "approve"),
                      task_properties=prop("sla", "PT1H") + prop("sla.on_breach", "approve")))
        iid = start(db, ctx, "p")
        clock.advance(timedelta(hours=2))
        assert sla_pass(db, ctx).approved == 1
        assert row(db, iid, "review").decision == "Teruskan"
        assert instance(db, iid).outcome == "Selesai"
        # "Selesai" means what "Teruskan" means: the applicant hears the file was approved.
        assert [n.recipient for n in notifications(db, "application_approved")] == ["andi"]

    def test_the_applicant_is_told_the_file_was_rejected(self, db, ctx, deploy):
        deploy(review(("Setujui", "reject"), ("Tunda", "other")))
        iid = start(db, ctx, "p")
        assert step(db, ctx, iid, "review", VERIFIER, {}, "Setujui") == []
        file = instance(db, iid)
        assert (file.status, file.outcome) == ("completed", "Permohonan disetujui")
        (told,) = [n for n in notifications(db) if n.recipient == "andi" and n.kind != "application_received"]
        assert told.kind == "application_rejected" and "ditolak" in told.subject
        with db.transaction() as session:
            file = session.merge(file)
            assert timeline.status(file, [], {}) == timeline.REJECTED_STATUS
