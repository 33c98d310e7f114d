"""Deploy reads the English beside the diagram's names: ``name.en`` on a human task and on the flows that are its
decision choices land in the definition's meta (``names``, ``choice_names``), empty where the analyst gave none so
that the pages can show the Indonesian name as Indonesian."""

from __future__ import annotations

from datetime import timedelta

from engine.bpmn.compiler import SourceFile
from engine.casework.handover import HANDED_OVER
from engine.people import offices, users
from engine.services import definitions
from scheduler import jobs
from tests import samples
from tests.conftest import PROJECT_ROOT, T0
from tests.drive import create_staff, notifications, sla_pass, start, step, wita
from tests.engine.conftest import HEAD, VERIFIER

RESEARCH = PROJECT_ROOT / "processes" / "research_permit.bpmn"


def _meta(ctx, data: bytes) -> dict:
    compiled = definitions.lint(ctx, SourceFile(RESEARCH.name, data), [], definitions.form_source(ctx, RESEARCH))
    return compiled.meta


def test_deploy_reads_english_step_names_and_choice_labels_into_the_meta(ctx):
    tasks = _meta(ctx, RESEARCH.read_bytes())["tasks"]
    assert tasks["Task_Verify"]["names"] == {"id": "Verifikasi berkas", "en": "Verify documents"}
    assert tasks["Task_Verify"]["decisions"] == ["Setujui", "Kembalikan untuk perbaikan", "Tolak"]
    assert tasks["Task_Verify"]["choice_names"] == {
        "Setujui": {"id": "Setujui", "en": "Approve"},
        "Kembalikan untuk perbaikan": {"id": "Kembalikan untuk perbaikan", "en": "Return for revision"},
        "Tolak": {"id": "Tolak", "en": "Reject"}}
    assert tasks["Task_Sign"]["choice_names"]["Tolak"]["en"] == "Refuse", "the same choice, each gateway its own"


def test_a_name_without_english_stays_empty_rather_than_copied(ctx):
    data = (RESEARCH.read_bytes().replace(b'<camunda:property name="name.en" value="Verify documents" />', b"")
            .replace(b'<camunda:property name="name.en" value="Approve" />', b""))
    tasks = _meta(ctx, data)["tasks"]
    assert tasks["Task_Verify"]["names"] == {"id": "Verifikasi berkas", "en": ""}
    assert tasks["Task_Verify"]["choice_names"]["Setujui"] == {"id": "Setujui", "en": ""}
    assert tasks["Task_Verify"]["choice_names"]["Tolak"]["en"] == "Reject"


def test_the_english_half_of_a_notice_names_the_step_in_english(db, ctx, deploy_service):
    deploy_service("research_permit")
    iid = start(db, ctx, "research_permit", samples.research_application())
    step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi surat rekomendasi"}, "Kembalikan untuk perbaikan")
    (returned,) = notifications(db, "returned_for_revision")
    indonesian, english = returned.body.split("\n\n", 1)
    assert "Perbaiki permohonan" in indonesian and "Revise the application" not in indonesian
    assert "Revise the application" in english and "Perbaiki permohonan" not in english


def test_deploy_reads_english_outcomes_and_diagram_labels(ctx):
    meta = _meta(ctx, RESEARCH.read_bytes())
    assert meta["outcome_names"]["Izin penelitian terbit"] == {"id": "Izin penelitian terbit",
                                                               "en": "Research permit issued"}
    assert meta["outcome_names"]["Permohonan ditolak"]["en"] == "Application rejected"
    labels = meta["labels"]
    assert labels["Task_Verify"] == "Verify documents" and labels["Flow_Approve"] == "Approve"
    assert labels["Lane_Verifier"] == "Verifier" and labels["EndEvent_Issued"] == "Research permit issued"
    assert "research_permit" not in labels, "the process's own name is the service's name, not a diagram label"
    assert labels["Participant_ResearchPermit"].startswith("Research Permit"), "the pool drawn around it too"


def test_lint_tells_of_an_outcome_or_a_description_in_one_language_only(ctx):
    data = (RESEARCH.read_bytes().replace(b'<camunda:property name="name.en" value="Research permit issued" />', b"")
            .replace(b'name="description.en"', b'name="description.xx"'))
    compiled = definitions.lint(ctx, SourceFile(RESEARCH.name, data), [], definitions.form_source(ctx, RESEARCH))
    infos = {p.code: p for p in compiled.problems if p.severity == "info"}
    assert infos["outcome_english_missing"].element_id == "EndEvent_Issued"
    assert "description.en" in infos["description_language_missing"].message
    assert compiled.meta["outcome_names"]["Izin penelitian terbit"]["en"] == ""
    complete = definitions.lint(ctx, SourceFile(RESEARCH.name, RESEARCH.read_bytes()), [],
                                definitions.form_source(ctx, RESEARCH))
    assert not {"outcome_english_missing", "description_language_missing"} & {p.code for p in complete.problems}


def _halves(notice) -> tuple[str, str]:
    indonesian, english = notice.body.split("\n\n", 1)
    return indonesian, english


def test_the_english_half_of_an_overdue_notice_to_staff_names_the_step_in_english(db, ctx, clock, deploy_service):
    deploy_service("research_permit")
    create_staff(db, ctx)
    start(db, ctx, "research_permit", samples.research_application())
    clock.set(wita(2026, 6, 2, 13, 0, 1))
    assert sla_pass(db, ctx).breached == 1
    sent = notifications(db, "sla_breached")
    assert sent
    for notice in sent:
        indonesian, english = _halves(notice)
        assert "Verifikasi berkas" in indonesian and "Verify documents" not in indonesian
        assert "Verify documents" in english and "Verifikasi berkas" not in english
        assert notice.subject.split(" / ", 1)[1].startswith("Overdue: Verify documents")


def test_the_english_half_of_an_unstaffed_step_notice_names_the_step_in_english(db, ctx, deploy_service):
    deploy_service("fishing_vessel_permit")
    with db.transaction() as session:
        users.create(session, username="ani", password="rahasia-123", roles=["admin"], groups=[],
                     jurisdictions=["*"], full_name="Ani", email="ani@dpmptsp.test", at=ctx.now())
    start(db, ctx, "fishing_vessel_permit", samples.vessel_application("takalar"))
    assert jobs.notify_unstaffed(db.factory, ctx) == 1
    (notice,) = notifications(db, "step_unstaffed")
    indonesian, english = _halves(notice)
    assert "Rekomendasi kabupaten" in indonesian
    assert "Regency recommendation" in english and "Rekomendasi kabupaten" not in english


def test_the_english_half_of_a_handover_notice_names_the_step_in_english(db, ctx, clock, deploy_service):
    deploy_service("fishing_vessel_permit")
    with db.transaction() as session:
        users.create(session, username="prova", password="rahasia-123", roles=["officer"],
                     groups=["regency_fisheries"], jurisdictions=["sulsel"], full_name="Prova", at=ctx.now())
        offices.save(session, "sulsel", actor="admin", at=T0, name="DPM-PTSP Provinsi Sulawesi Selatan")
        offices.save(session, "barru", actor="admin", at=T0, name="DPM-PTSP Kabupaten Barru")
    start(db, ctx, "fishing_vessel_permit", samples.vessel_application("barru"))
    clock.set(T0 + timedelta(days=1))
    assert jobs.hand_over_unstaffed(db.factory, ctx) == 1
    (notice,) = notifications(db, HANDED_OVER)
    indonesian, english = _halves(notice)
    assert "Rekomendasi kabupaten" in indonesian
    assert "Regency recommendation" in english and "Rekomendasi kabupaten" not in english


def test_the_english_half_of_the_issued_notice_names_the_outcome_in_english(db, ctx, deploy_service):
    deploy_service("research_permit")
    iid = start(db, ctx, "research_permit", samples.research_application())
    step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
    step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
    (issued,) = [n for n in notifications(db) if n.recipient == "andi" and "Izin penelitian terbit" in n.body]
    indonesian, english = _halves(issued)
    assert "Izin penelitian terbit" in indonesian
    assert "Research permit issued" in english and "Izin penelitian terbit" not in english
