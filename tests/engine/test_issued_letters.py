"""The permit letter is rendered from the service's template once, when the permit is issued, and stored: its text
carries what the permit is (the measured tonnage, not the declared), the signer's block from their profile and the
copy list; its QR code opens the office's verification page; the stored bytes never change."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import orjson
import pytest
from click.testing import CliRunner

from api.cli import main as cli
from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks
from engine.documents import issued_letters
from engine.errors import Conflict, Forbidden, InvalidDefinition
from engine.forms.schemas import FormSource
from engine.services import definitions, letter_templates
from engine.services.letter_templates import tanggal
from engine.storage.models import Event, IssuedLetter
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import (
    APPLICANT,
    HEAD,
    REVIEWER,
    SINJAI_FISHERIES,
    SUPERVISOR,
    VERIFIER,
    diagram,
    form_uploads,
    open_task_rows,
)
from tests.letters import NIP, PUBLIC_URL, qr_addresses, set_up_letterhead, text_of_pdf
from tests.people import PEOPLE, add_people


@pytest.fixture(autouse=True)
def _letterhead(db, deploy_service):
    deploy_service("research_permit")
    deploy_service("fishing_vessel_permit")
    with db.transaction() as session:
        add_people(session, PEOPLE)
        set_up_letterhead(session)


def _start(db, ctx, service, data):
    with db.transaction() as session:
        return applications.start(session, ctx, service=service, data=data, actor=APPLICANT).id


def _step(db, ctx, iid, element_id, actor, data=None, decision=None):
    with db.transaction() as session:
        (task,) = [t for t in open_task_rows(session, iid) if t.element_id == element_id]
        tasks.complete(session, ctx, task.id, actor, data or {}, decision=decision)


def sign(db, ctx, iid):
    """The head of office signs: the signing step's first choice when it offers choices."""
    with db.transaction() as session:
        (task,) = [t for t in open_task_rows(session, iid) if t.element_id == "Task_Sign"]
        choice = task.decision_choices[0] if task.decision_choices else None
    _step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, choice)


def issue_research(db, ctx, **overrides) -> int:
    iid = _start(db, ctx, "research_permit", samples.research_application(**overrides))
    _step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
    sign(db, ctx, iid)
    return iid


def issue_vessel(db, ctx) -> int:
    iid = _start(db, ctx, "fishing_vessel_permit",
                 samples.vessel_application("sinjai", gross_tonnage=12.5, fishing_area="WPP 714"))
    _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {"recommendation_number": "523/88/DKP-SNJ"},
          "Rekomendasikan")
    _step(db, ctx, iid, "Task_Inspect", SINJAI_FISHERIES, {**samples.INSPECTION, "measured_gt": 12.4}, "Layak")
    _step(db, ctx, iid, "Task_Review", REVIEWER,
          {"approved_fishing_area": "WPP 713 (Selat Makassar, Teluk Bone)", "approved_gear": "handline"}, "Setujui")
    sign(db, ctx, iid)
    return iid


def _letter(db, ctx, iid, sign=issued_letters.unsigned) -> tuple[IssuedLetter, bytes]:
    """The letter of an issued file as ``issued_letters.issue`` renders it from the service's template (whichever
    step stored one first — the end of the file or the signing step — it is set aside for this)."""
    with db.transaction() as session:
        stored = issued_letters.of(session, iid)
        assert stored is not None, "issuing the permit stores its letter"
        session.delete(stored)
    with db.transaction() as session:
        instance = session.get(applications.Instance, iid)
        data = applications.current_data(ctx, instance)
        letter = issued_letters.issue(session, ctx, instance, data, actor="kadis", sign=sign)
        return letter, issued_letters.pdf_of(session, letter)


def test_the_fishing_permit_says_the_approved_area_and_gear_and_the_measured_tonnage(db, ctx):
    iid = issue_vessel(db, ctx)
    letter, pdf = _letter(db, ctx, iid)
    text = text_of_pdf(pdf)
    assert "SURAT IZIN PENANGKAPAN IKAN (SIPI)" in text and f"Nomor: {letter.permit_number}" in text
    assert "WPP 713 (Selat Makassar, Teluk Bone)" in text and "WPP 714" not in text  # approved, not proposed
    assert "Pancing ulur (handline)" in text
    assert "12.4 GT" in text and "12.5" not in text  # measured at the inspection, not declared
    assert "523/88/DKP-SNJ" in text  # the regency's recommendation
    assert "DINAS PENANAMAN MODAL DAN PTSP PROVINSI SULAWESI SELATAN" in text  # the kop surat, not a code
    assert "Jl. Bougenville No. 5, Makassar 90231" in text
    # Valid one year from the issue date (the service's letter.validity P1Y).
    assert letter.valid_until is not None and letter.valid_until[:4] == str(letter.issued_at.year + 1)
    assert "7307010101010002" not in text and "081298765432" not in text  # no NIK, no phone


def test_the_research_permit_says_title_location_period_signer_and_copies(db, ctx):
    iid = issue_research(db, ctx)
    letter, pdf = _letter(db, ctx, iid)
    text = text_of_pdf(pdf)
    assert "SURAT IZIN PENELITIAN" in text
    for shown in ("Kajian mangrove pesisir Sinjai", "Kecamatan Sinjai Timur, Kabupaten Sinjai",
                  "1 Juli 2026 s.d. 31 Agustus 2026", "Universitas Hasanuddin"):
        assert shown in text, shown
    assert letter.valid_until == "2026-08-31"  # the research period's end (letter.validity ${end_date})
    # Signature block from the signer's staff profile, under the a.n. line.
    for shown in ("a.n. GUBERNUR SULAWESI SELATAN", "Kepala Dinas", "Pembina Utama Muda (IV/c)", f"NIP. {NIP}",
                  "Ditetapkan di Makassar"):
        assert shown in text, shown
    assert "Tembusan Yth.:" in text
    for copy in ("Gubernur Sulawesi Selatan (sebagai laporan)", "Bupati/Wali Kota di lokasi penelitian", "Arsip"):
        assert copy in text, copy


def test_the_qr_code_opens_the_offices_verification_page(db, ctx):
    iid = issue_research(db, ctx)
    letter, pdf = _letter(db, ctx, iid)
    assert qr_addresses(pdf) == [f"{PUBLIC_URL}/verify/{letter.verify_token}"]


def test_the_letter_is_stored_once_with_its_hash_and_never_rendered_again(db, ctx):
    iid = issue_research(db, ctx)
    letter, pdf = _letter(db, ctx, iid)
    assert hashlib.sha256(pdf).hexdigest() == letter.sha256
    with db.transaction() as session:
        instance = session.get(applications.Instance, iid)
        data = applications.current_data(ctx, instance)
        again = issued_letters.issue(session, ctx, instance, data, actor="vera")
        assert again.sha256 == letter.sha256 and issued_letters.pdf_of(session, again) == pdf
        issued = session.query(Event).filter_by(kind="letter_issued", instance_id=iid).order_by(Event.id).all()
        assert issued[-1].actor == "kadis" and issued[-1].data["sha256"] == letter.sha256


def test_a_long_purpose_and_an_emoji_in_the_name_print_as_written(db, ctx):
    purpose = "Memetakan sebaran mangrove dan manfaatnya bagi nelayan pesisir. " * 30
    iid = issue_research(db, ctx, applicant_name="Andi 🐟 Pratama", research_purpose=purpose.strip())
    _, pdf = _letter(db, ctx, iid)
    text = text_of_pdf(pdf)
    assert "Andi 🐟 Pratama" in text and "?" not in text.split("Nama")[1][:40]


def test_a_signer_passed_to_issue_signs_what_is_stored(db, ctx):
    """The seam for the electronic signature: whatever ``sign`` returns is stored and hashed."""
    iid = issue_research(db, ctx)
    letter, stored = _letter(db, ctx, iid, sign=lambda pdf: pdf + b"%signed\n")
    assert stored.endswith(b"%signed\n") and hashlib.sha256(stored).hexdigest() == letter.sha256


def test_a_rejected_application_has_no_letter(db, ctx):
    iid = _start(db, ctx, "research_permit", samples.research_application())
    _step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Bukan penelitian"}, "Tolak")
    with db.transaction() as session:
        assert issued_letters.of(session, iid) is None


# A service of its own: one officer step, then the issuing script — the letter comes from the uploaded template.
ISSUING = diagram("""
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="name.id" value="Izin Uji" /><camunda:property name="jurisdiction" value="sulsel" />
      <camunda:property name="letter.validity" value="P6M" /><camunda:property name="letter.cc" value="Arsip" />
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="approve"/>
    <bpmn:userTask id="approve" name="Setujui" camunda:candidateGroups="head_of_office" camunda:formKey="approve"/>
    <bpmn:sequenceFlow id="f1" sourceRef="approve" targetRef="number"/>
    <bpmn:scriptTask id="number" name="Nomor" scriptFormat="python">
      <bpmn:script>permit_number = "UJI/%d" % application["seq"]
issued = True</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="number" targetRef="e"/><bpmn:endEvent id="e" name="Terbit"/>""",
                  process_id="trial_permit")
TRIAL_FORMS = {"apply": {"type": "object", "properties": {"holder_name": {"type": "string"}}},
               "approve": {"type": "object", "properties": {"area": {"type": "string"}}}}
TRIAL_LETTER = """<html><body><h1>{{ permit.title }}</h1><p>Nomor {{ permit.number }}</p>
<p>Pemegang: {{ data.holder_name }}</p><p>Wilayah: {{ data.area }}</p><p>Berlaku s.d. {{ valid_until }}</p>
<p>{{ place_date }}</p><p>{{ signer.name }} NIP. {{ signer.nip }}</p>
{% for copy in copies %}<p>Tembusan: {{ copy }}</p>{% endfor %}<img src="{{ qr }}"></body></html>"""


def _deploy_trial(db, ctx, letter: str = TRIAL_LETTER):
    uploads = {**form_uploads(TRIAL_FORMS), "letter.html": letter.encode()}
    with db.transaction() as session:
        return definitions.deploy(session, ctx, SourceFile("trial.bpmn", ISSUING.encode()), [],
                                  FormSource(uploads, []), actor="analyst")


def test_the_step_that_issues_the_permit_stores_the_letter_from_the_services_template(db, ctx):
    deployed = _deploy_trial(db, ctx)
    assert deployed.created and deployed.definition.meta["letter"]["file"] == "letter.html"
    iid = _start(db, ctx, "trial_permit", {"holder_name": "Nelayan <b>Bersatu</b>"})
    _step(db, ctx, iid, "approve", HEAD, {"area": "WPP 713"})
    with db.transaction() as session:
        letter = issued_letters.of(session, iid)
        pdf = issued_letters.pdf_of(session, letter)
        assert session.query(Event).filter_by(kind="letter_issued", instance_id=iid).count() == 1
    text = text_of_pdf(pdf)
    assert "Nomor UJI/1" in text and "Pemegang: Nelayan <b>Bersatu</b>" in text  # escaped, printed as typed
    assert "Wilayah: WPP 713" in text and "Tembusan: Arsip" in text and f"NIP. {NIP}" in text
    assert letter.valid_until is not None and f"Berlaku s.d. {tanggal(letter.valid_until)}" in text
    assert hashlib.sha256(pdf).hexdigest() == letter.sha256
    assert qr_addresses(pdf) == [f"{PUBLIC_URL}/verify/{letter.verify_token}"]


def test_a_changed_template_is_a_new_version_and_the_same_one_is_not(db, ctx):
    first = _deploy_trial(db, ctx).definition.version
    assert _deploy_trial(db, ctx).created is False
    assert _deploy_trial(db, ctx, TRIAL_LETTER.replace("Pemegang", "Nama pemegang")).definition.version == first + 1


@pytest.fixture
def problems_of(db, ctx):
    def _of(letter: str) -> list[dict]:
        with pytest.raises(InvalidDefinition) as refused:
            _deploy_trial(db, ctx, letter)
        return [p for p in refused.value.details if p["code"].startswith("letter_")]
    return _of


def test_a_template_naming_a_field_no_form_has_is_refused_with_file_line_and_field(problems_of):
    (problem,) = problems_of("<p>{{ data.holder_name }}</p>\n<p>{{ data.gross_tonage }}</p>")
    assert problem["code"] == "letter_unknown_field" and problem["line"] == 2
    assert problem["file"] == "upload:letter.html"
    assert "'gross_tonage'" in problem["message"] and "'gross_tonage'" in problem["message_id"]
    assert problem["element_id"] == "trial_permit"


def test_a_template_naming_a_private_field_is_refused(db, ctx):
    forms = {**TRIAL_FORMS, "apply": {"type": "object", "properties": {"holder_name": {"type": "string"},
                                                                       "nik": {"type": "string"}}}}
    uploads = {**form_uploads(forms), "letter.html": b"<p>{{ data.holder_name }}</p>\n<p>NIK {{ data.nik }}</p>"}
    with db.transaction() as session, pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, ctx, SourceFile("trial.bpmn", ISSUING.encode()), [], FormSource(uploads, []),
                           actor="analyst")
    (problem,) = [p for p in refused.value.details if p["code"].startswith("letter_")]
    assert problem["code"] == "letter_private_field" and problem["line"] == 2 and "'nik'" in problem["message"]


def test_a_template_that_does_not_parse_is_refused_with_its_line(problems_of):
    (problem,) = problems_of("<p>ok</p>\n<p>{% if data.area %}open</p>\n")
    assert problem["code"] == "letter_syntax" and problem["line"] in (2, 3)


def test_a_name_a_letter_is_not_given_is_refused(problems_of):
    (problem,) = problems_of("<p>{{ ofice.name }}</p>")
    assert problem["code"] == "letter_unknown_name" and "'ofice'" in problem["message"] and problem["line"] == 1


def test_the_bundled_templates_lint_clean(ctx):
    for key in ("research_permit", "fishing_vessel_permit"):
        path = PROJECT_ROOT / "processes" / f"{key}.bpmn"
        compiled = definitions.lint(ctx, SourceFile(path.name, path.read_bytes()), [],
                                    definitions.form_source(ctx, path))
        assert [p for p in compiled.problems if p.code.startswith("letter_")] == []
        assert compiled.meta["letter"]["file"] == f"{key}.html"


def test_lincah_deploy_takes_the_letter_beside_the_diagram_and_refuses_a_bad_one_with_its_line(db, tmp_path):
    folder = tmp_path / "processes"
    (folder / "forms").mkdir(parents=True)
    (folder / "letters").mkdir()
    (folder / "trial.bpmn").write_text(ISSUING, encoding="utf-8")
    for key, schema in TRIAL_FORMS.items():
        (folder / "forms" / f"{key}.json").write_text(orjson.dumps(schema).decode(), encoding="utf-8")
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    (folder / "letters" / "trial_permit.html").write_text("<p>{{ data.area }}</p>\n<p>{{ data.aera }}</p>")
    refused = CliRunner().invoke(cli, ["deploy", str(folder)], env=env)
    assert refused.exit_code == 1
    assert "trial_permit.html:2: trial_permit: error:" in refused.output and "'aera'" in refused.output
    (folder / "letters" / "trial_permit.html").write_text(TRIAL_LETTER)
    (folder / "letters" / "trial_permit.css").write_text("h1 { font-size: 14pt; }")
    deployed = CliRunner().invoke(cli, ["deploy", str(folder)], env=env)
    assert deployed.exit_code == 0, deployed.output
    with db.transaction() as session:
        definition = definitions.latest_published(session, "trial_permit")
        files = letter_templates.stored(session, definition.meta["letter"]["sha256"])
        assert files.html == TRIAL_LETTER and files.css == "h1 { font-size: 14pt; }"


def test_the_signers_draft_is_watermarked_and_stores_nothing(db, ctx):
    _deploy_trial(db, ctx)
    iid = _start(db, ctx, "trial_permit", {"holder_name": "Nelayan Bersatu"})
    with db.transaction() as session:
        instance = session.get(applications.Instance, iid)
        draft = issued_letters.draft(session, ctx, instance, {"holder_name": "Nelayan Bersatu", "area": "WPP 713"},
                                     signer="kadis")
        assert issued_letters.of(session, iid) is None
    text = text_of_pdf(draft)
    assert "DRAF" in text and "Pemegang: Nelayan Bersatu" in text and f"NIP. {NIP}" in text


def test_a_letter_past_its_validity_is_expired_and_a_revoked_one_says_so(db, ctx, clock):
    _deploy_trial(db, ctx)
    iid = _start(db, ctx, "trial_permit", {"holder_name": "Nelayan Bersatu"})
    _step(db, ctx, iid, "approve", HEAD, {"area": "WPP 713"})
    with db.transaction() as session:
        instance = session.get(applications.Instance, iid)
        letter = issued_letters.of(session, iid)
        assert issued_letters.status(ctx, letter, instance) == "valid"
        clock.advance(timedelta(days=200))  # P6M from the issue date
        assert issued_letters.status(ctx, letter, instance) == "expired"
        with pytest.raises(Forbidden):
            issued_letters.revoke(session, ctx, instance, HEAD, "Data palsu")
        issued_letters.revoke(session, ctx, instance, SUPERVISOR, "Data kapal palsu")
        assert issued_letters.status(ctx, letter, instance) == "revoked"
        with pytest.raises(Conflict):
            issued_letters.revoke(session, ctx, instance, SUPERVISOR, "Sekali lagi")


def test_a_diagram_deployed_from_the_web_modeler_keeps_the_installations_letter(ctx):
    """The modeler's forms come from the installation's forms/, so its letters from the installation's
    processes/letters: editing the research permit in the modeler does not lose its letter."""
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    compiled = definitions.lint(ctx, SourceFile("diagram.bpmn", path.read_bytes()), [],
                                FormSource({}, [ctx.settings.forms_dir]))
    assert compiled.ok and compiled.meta["letter"]["file"] == "research_permit.html"


def test_a_template_failing_at_render_time_keeps_the_decision_and_says_what_to_fix(db, ctx):
    # Fails on this file's data only: the deploy's trial fill, with sample data, passes it.
    failing = "{{ data.area }} {% if data.area == 'WPP 713' %}{{ 1 // 0 }}{% endif %}"
    _deploy_trial(db, ctx, TRIAL_LETTER.replace("{{ data.area }}", failing))
    iid = _start(db, ctx, "trial_permit", {"holder_name": "Nelayan Bersatu"})
    _step(db, ctx, iid, "approve", HEAD, {"area": "WPP 713"})
    with db.transaction() as session:
        instance = session.get(applications.Instance, iid)
        assert instance.status == "completed" and issued_letters.of(session, iid) is None
        (failed,) = session.query(Event).filter_by(kind="letter_failed", instance_id=iid).all()
        assert "ZeroDivisionError" in failed.data["message"]
        with pytest.raises(Conflict) as refused:
            issued_letters.issue(session, ctx, instance, applications.current_data(ctx, instance), actor=None)
        assert "letter.html" in refused.value.localized("id") and "ZeroDivisionError" in str(refused.value.message)
