"""An applicant applies, follows the stages, answers a revision request, sees the permit issued — through pages."""

from __future__ import annotations

import pytest

from engine.storage.models import Attachment, Instance
from tests.people import PNG
from tests.samples import CHECKLIST
from tests.web.conftest import apply, document, open_task_id, page, research_form, text_of, vessel_form

pytestmark = pytest.mark.usefixtures("deployed", "people")


def test_the_apply_page_draws_the_services_start_form(visitor):
    tree = page(visitor("andi").get("/services/research_permit/apply"))
    assert tree.cssselect("h1")[0].text_content() == "Ajukan: Izin Penelitian"
    assert [r.get("value") for r in tree.cssselect("input[name=applicant_category]")] == [
        "student", "lecturer", "individual", "organisation"]
    assert tree.cssselect("input[name=proposal]")[0].get("accept") == "application/pdf"
    assert tree.cssselect("input[name=declaration]")[0].get("type") == "checkbox"


def test_a_refused_application_shows_errors_in_place_and_keeps_typed_data_and_uploaded_files(visitor, db):
    person = visitor("andi")
    response = person.post("/services/research_permit/apply",
                           research_form(nik="123", research_title=None, declaration=None,
                                         ktp=document("ktp.png", PNG)))
    assert response.status_code == 422
    tree = page(response)
    errors = {e.get("id"): " ".join(e.text_content().split()) for e in tree.cssselect(".error-message")}
    assert errors == {"f-nik-error": "Kesalahan: Formatnya tidak sesuai; lihat petunjuk.",
                      "f-research_title-error": "Kesalahan: Wajib diisi.",
                      "f-declaration-error": "Kesalahan: Centang kotak ini untuk melanjutkan."}
    assert tree.cssselect("input[name=nik]")[0].get("value") == "123"
    assert tree.cssselect("input[name=institution]")[0].get("value") == "Universitas Hasanuddin"
    assert tree.cssselect("input[name=applicant_category][value=student]")[0].get("checked") is not None
    kept = tree.cssselect("input[name='proposal.__id']")
    assert kept and "proposal.pdf" in tree.cssselect("#f-proposal-current")[0].text_content()
    assert "ktp.png" in tree.cssselect("#f-ktp-current")[0].text_content(), "a PNG is fine for the KTP"
    with db.transaction() as session:
        assert session.query(Instance).count() == 0


def test_a_corrected_application_is_sent_with_the_documents_uploaded_the_first_time(visitor, db):
    person = visitor("andi")
    first = page(person.post("/services/research_permit/apply", research_form(nik="123")))
    fields = {e.get("name"): e.get("value") for e in first.cssselect("input[type=hidden]") if e.get("name")}
    corrected = research_form(**{name: None for name in ("application_letter", "campus_recommendation",
                                                          "proposal", "ktp", "statement_letter")})
    response = person.post("/services/research_permit/apply", {**fields, **corrected})
    assert response.status_code == 302, text_of(response)
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with db.transaction() as session:
        linked = session.query(Attachment).filter(Attachment.instance_id == application_id).count()
        unlinked = session.query(Attachment).filter(Attachment.instance_id.is_(None)).count()
    assert linked == 5 and unlinked == 0, "no document had to be uploaded twice"


def test_a_document_of_the_wrong_type_is_refused_next_to_its_field(visitor):
    response = visitor("andi").post("/services/research_permit/apply", research_form(proposal=document("p.png", PNG)))
    assert response.status_code == 422
    message = page(response).cssselect("#f-proposal-error")[0].text_content()
    assert message.strip().endswith("Di sini hanya berkas PDF yang dapat diunggah. Simpan dokumen sebagai PDF lalu "
                                    "unggah lagi.")


def test_after_applying_the_applicant_sees_the_number_status_stages_and_notification(visitor, db):
    person = visitor("andi")
    application_id = apply(person)
    response = person.get(f"/applications/{application_id}")
    text = text_of(response)
    with db.transaction() as session:
        number = session.get(Instance, application_id).registration_no
    assert f"Permohonan Anda terkirim. Nomor registrasi: {number}." in text
    tree = page(response)
    assert tree.cssselect(".regno")[0].text_content() == number
    assert tree.cssselect(".badge")[0].text_content() == "Diproses"
    stages = [li.cssselect("strong")[0].text_content() for li in tree.cssselect(".timeline li")]
    assert stages == ["Permohonan diajukan", "Verifikasi berkas"]
    assert "2 Jun 2026 09.00 WITA" in text, "dates in the Indonesian format and the office's time zone"
    listing = page(person.get("/applications"))
    assert listing.cssselect(".card h2 a")[0].text_content() == number
    notes = text_of(person.get("/notifications"))
    assert f"Permohonan {number} diterima" in notes and "Application" not in notes
    english = text_of(person.english().get("/notifications"))
    assert f"Application {number} received" in english
    assert "Jun 2, 2026" in text_of(person.get(f"/applications/{application_id}"))


def test_the_application_page_says_what_happens_next_and_when_the_file_is_due(visitor, db):
    andi = visitor("andi")
    application_id = apply(andi)  # Tue 2 June 09:00 WITA; the research permit takes 1 working day
    tree = page(andi.get(f"/applications/{application_id}"))
    (target,) = tree.cssselect(".file-target dd")
    assert " ".join(target.text_content().split()) == "3 Jun 2026 09.00 WITA (1 hari kerja)"
    assert "Selanjutnya: petugas sedang memproses" in tree.cssselect(".next-step")[0].text_content()
    verify = open_task_id(db, application_id, "Task_Verify")
    visitor("vera").post(f"/tasks/{verify}", {"_decision": "Kembalikan untuk perbaikan", "note": "Lengkapi KTP.",
                                              "_revision": "1"})
    tree = page(andi.get(f"/applications/{application_id}"))
    paused = tree.cssselect(".file-target dd")[0].text_content()
    assert "Waktu layanan berhenti selama kami menunggu perbaikan Anda" in paused
    assert not tree.cssselect(".next-step"), "the page asks for the revision instead"


def test_another_applicant_cannot_see_the_application_or_its_documents(visitor, db):
    application_id = apply(visitor("andi"))
    with db.transaction() as session:
        attachment_id = session.query(Attachment.id).filter_by(instance_id=application_id).first()[0]
    budi = visitor("budi")
    assert budi.get(f"/applications/{application_id}").status_code == 404
    assert budi.get(f"/files/{attachment_id}").status_code == 404
    assert page(budi.get("/applications")).cssselect(".card") == []
    opened = visitor("andi").get(f"/files/{attachment_id}")
    assert opened.status_code == 200 and opened.mimetype == "application/pdf"
    assert opened.headers["Content-Disposition"].startswith("inline")


def test_revision_request_shows_the_officers_note_and_the_revision_goes_back_to_the_office(visitor, db):
    andi = visitor("andi")
    application_id = apply(andi)
    verify = open_task_id(db, application_id, "Task_Verify")
    response = visitor("vera").post(f"/tasks/{verify}", {
        "_decision": "Kembalikan untuk perbaikan", "note": "Surat rekomendasi belum ditandatangani dekan.",
        "_revision": "1"})
    assert response.status_code == 302
    listing = page(andi.get("/applications"))
    assert listing.cssselect(".badge")[0].text_content() == "Perlu perbaikan"
    revise = open_task_id(db, application_id, "Task_Revise")
    response = andi.get(f"/tasks/{revise}")
    tree = page(response)
    note = tree.cssselect(".officer-message")[0].text_content()
    assert "Kembalikan untuk perbaikan" in note and "Surat rekomendasi belum ditandatangani dekan." in note
    assert tree.cssselect("input[name=institution]")[0].get("value") == "Universitas Hasanuddin", "prefilled"
    revision = tree.cssselect("input[name=_revision]")[0].get("value")
    fields = {e.get("name"): e.get("value") for e in tree.cssselect("input[type=hidden]") if e.get("name")}
    response = andi.post(f"/tasks/{revise}", {**fields, "_revision": revision,
                                              "response_note": "Sudah ditandatangani dekan.",
                                              "campus_recommendation": document("rekomendasi-baru.pdf")})
    assert response.status_code == 302 and response.headers["Location"] == f"/applications/{application_id}"
    tree = page(andi.get(f"/applications/{application_id}"))
    assert tree.cssselect(".badge")[0].text_content() == "Diproses"
    assert "rekomendasi-baru.pdf" in tree.text_content()
    assert open_task_id(db, application_id, "Task_Verify") is not None


def test_a_revision_without_its_required_answer_is_refused_in_place(visitor, db):
    andi = visitor("andi")
    application_id = apply(andi)
    verify = open_task_id(db, application_id, "Task_Verify")
    visitor("vera").post(f"/tasks/{verify}", {"_decision": "Kembalikan untuk perbaikan", "note": "Lengkapi."})
    revise = open_task_id(db, application_id, "Task_Revise")
    response = andi.post(f"/tasks/{revise}", {"phone": "0812"})
    assert response.status_code == 422
    tree = page(response)
    assert "Wajib diisi." in tree.cssselect("#f-response_note-error")[0].text_content()
    assert "Formatnya tidak sesuai" in tree.cssselect("#f-phone-error")[0].text_content()
    assert tree.cssselect("input[name=phone]")[0].get("value") == "0812"


def test_the_applicant_sees_issued_with_the_permit_number(visitor, db):
    andi = visitor("andi")
    application_id = apply(andi)
    visitor("vera").post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}",
                         {"_decision": "Setujui", "checklist": CHECKLIST})
    response = visitor("kadis").post(f"/tasks/{open_task_id(db, application_id, 'Task_Sign')}",
                                     {"_decision": "Tandatangani"})
    assert response.status_code == 302
    tree = page(andi.get(f"/applications/{application_id}"))
    assert tree.cssselect(".badge")[0].text_content() == "Terbit"
    assert tree.cssselect(".permit")[0].text_content().startswith("503/00001/IP/DPM-PTSP/")
    assert "Izin Anda telah terbit." in tree.text_content()
    assert page(andi.english().get(f"/applications/{application_id}")).cssselect(".badge")[0].text_content() == \
        "Issued"


def test_the_applicant_may_withdraw_before_a_decision_but_not_after(visitor, db):
    andi = visitor("andi")
    first = apply(andi)
    assert andi.post(f"/applications/{first}/cancel", {"reason": "Salah layanan"}).status_code == 302
    assert page(andi.get(f"/applications/{first}")).cssselect(".badge")[0].text_content() == "Dibatalkan"
    second = apply(andi)
    visitor("vera").post(f"/tasks/{open_task_id(db, second, 'Task_Verify')}",
                         {"_decision": "Setujui", "checklist": CHECKLIST})
    assert not page(andi.get(f"/applications/{second}")).cssselect(".danger-zone")
    andi.post(f"/applications/{second}/cancel")
    assert "tidak dapat dibatalkan lagi" in text_of(andi.get(f"/applications/{second}"))


def test_a_document_uploaded_on_its_own_comes_back_as_a_reference_for_the_form(visitor, db):
    person = visitor("andi")
    response = person.post("/files", {"file": document("proposal.pdf")})
    assert response.status_code == 201
    reference = response.get_json()
    assert reference["name"] == "proposal.pdf" and reference["content_type"] == "application/pdf"
    assert reference["url"] == f"/files/{reference['id']}" and reference["size_text"] == "77 bita"
    refused = person.post("/files", {"file": document("gambar.gif", b"GIF89a" + b"\0" * 20)})
    assert refused.status_code == 415 and refused.get_json()["error"].startswith("Hanya dokumen PDF, JPEG dan PNG")
    assert person.post("/files", {"file": document()}, csrf=False).status_code == 400
    assert visitor().post("/files", {"file": document()}).status_code == 302
    fields = research_form(proposal=None)
    fields.update({"proposal.__id": reference["id"], "proposal.__name": "proposal.pdf"})
    application_id = apply(person, form=fields)
    with db.transaction() as session:
        assert session.get(Attachment, reference["id"]).instance_id == application_id


def test_a_file_waiting_for_a_revision_is_worded_for_staff_on_staff_pages_and_for_the_applicant_on_theirs(visitor,
                                                                                                         db):
    andi = visitor("andi")
    application_id = apply(andi)
    vera = visitor("vera")
    vera.post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}", {
        "_decision": "Kembalikan untuk perbaikan", "note": "KTP buram.", "_revision": "1"})

    def waiting(person):
        (note,) = page(person.get(f"/applications/{application_id}")).cssselect(
            ".stage-waiting_for_applicant .stage-note")
        return note.text_content()

    assert waiting(vera).startswith("Menunggu perbaikan dari pemohon")
    assert "Anda" not in waiting(visitor("supri"))
    assert waiting(andi) == "Menunggu perbaikan Anda"
    assert waiting(vera.english()).startswith("Waiting for the applicant's revision")


def test_a_photo_field_given_a_pdf_names_the_types_it_takes_not_pdf(visitor):
    andi = visitor("andi")
    response = andi.post("/services/fishing_vessel_permit/apply", vessel_form(vessel_photo=document("kapal.pdf")))
    assert response.status_code == 422
    message = page(response).cssselect("#f-vessel_photo-error")[0].text_content().strip()
    assert message.endswith("Di sini hanya berkas JPG/PNG yang dapat diunggah. Simpan dokumen sebagai JPG/PNG lalu "
                            "unggah lagi.") and "PDF" not in message
    accept = page(andi.get("/services/fishing_vessel_permit/apply")).cssselect("input[name=vessel_photo]")[0]
    assert accept.get("accept") == "image/jpeg,image/png", "the page's script sends this with the upload"
    for wrong in (document("kapal.pdf"), document("kapal.gif", b"GIF89a" + b"\0" * 20)):
        refused = andi.post("/files", {"file": wrong, "accept": accept.get("accept")})
        assert refused.status_code == 415
        assert refused.get_json()["error"].startswith("Di sini hanya berkas JPG/PNG"), "never 'save it as PDF'"
    photo = andi.post("/files", {"file": document("kapal.png", PNG), "accept": accept.get("accept")})
    assert photo.status_code == 201


def test_research_that_ends_before_it_starts_is_refused_on_the_end_date_in_the_pages_words(visitor):
    response = visitor("andi").post("/services/research_permit/apply",
                                    research_form(start_date="2027-01-10", end_date="2026-01-01"))
    assert response.status_code == 422
    (error,) = page(response).cssselect("#f-end_date-error")
    assert "Tidak boleh sebelum Tanggal mulai penelitian (10-01-2027)." in error.text_content()
    assert page(response).cssselect("input[name=end_date]")[0].get("value") == "2026-01-01"


def test_an_end_date_before_the_start_is_marked_with_the_other_mistakes_not_after_them(visitor):
    response = visitor("andi").post("/services/research_permit/apply",
                                    research_form(start_date="2027-01-10", end_date="2026-01-01",
                                                  research_purpose="Skripsi"))
    assert response.status_code == 422
    assert "Isi minimal 10 karakter" in page(response).cssselect("#f-research_purpose-error")[0].text_content()
    (error,) = page(response).cssselect("#f-end_date-error")
    assert "Tidak boleh sebelum Tanggal mulai penelitian (10-01-2027)." in error.text_content()


def test_an_applicant_step_that_is_no_revision_is_not_called_one(visitor, db, ctx):
    """A step of the applicant's that does not stop the clock (a payment, a confirmation) waits for their action;
    only a step that does is a return for revision — as the notifications word it."""
    from engine.bpmn.compiler import SourceFile
    from engine.casework import applications
    from engine.forms.schemas import FormSource
    from engine.services import definitions
    from tests.engine.conftest import APPLICANT, diagram

    xml = diagram("""<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="pay"/>
    <bpmn:userTask id="pay" name="Bayar retribusi" camunda:candidateGroups="applicant"/>
    <bpmn:sequenceFlow id="f1" sourceRef="pay" targetRef="e"/><bpmn:endEvent id="e"/>""", process_id="retribusi")
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("r.bpmn", xml.encode()), [], FormSource({}, []), actor="analis")
    with db.transaction() as session:
        application_id = applications.start(session, ctx, service="retribusi", data={}, actor=APPLICANT).id
    box = page(visitor("andi").get(f"/applications/{application_id}")).cssselect(".notice.action")[0]
    assert "Permohonan Anda menunggu tindakan Anda." in box.text_content()
    assert "Buka sekarang: Bayar retribusi" in " ".join(box.text_content().split())
    assert "dikembalikan" not in box.text_content()


def test_the_start_form_opens_with_the_name_and_e_mail_the_account_holds(visitor, db):
    from engine.storage.models import User

    with db.transaction() as session:
        session.query(User).filter_by(username="andi").one().email = "andi@contoh.id"
    tree = page(visitor("andi").get("/services/research_permit/apply"))
    assert tree.cssselect("input[name=applicant_name]")[0].get("value") == "Andi Pratama"
    assert tree.cssselect("input[name=email]")[0].get("value") == "andi@contoh.id"
    assert not tree.cssselect("input[name=nik]")[0].get("value"), "only what the account holds"
    counter = page(visitor("loket").get("/services/research_permit/apply"))
    assert not counter.cssselect("input[name=applicant_name]")[0].get("value"), "not the clerk's own name"
