"""The officer's inbox and task page: queues, filters, SLA badges, claiming, deciding, the next task, supervisors
reassigning, and the office boundary — an officer of Bone never sees a Sinjai file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.storage.models import Attachment, Instance, Task
from tests.samples import CHECKLIST
from tests.web.conftest import apply, open_task_id, page, research_form, text_of, vessel_form

pytestmark = pytest.mark.usefixtures("deployed", "people")


def _number(db, application_id: int) -> str:
    with db.transaction() as session:
        return session.get(Instance, application_id).registration_no


def test_the_inbox_lists_the_officers_tasks_with_queues_counts_and_sla_badges(visitor, db, clock):
    first = apply(visitor("andi"))
    clock.advance(timedelta(minutes=10))
    second = apply(visitor("budi"))
    clock.advance(timedelta(minutes=20))
    response = visitor("vera").get("/inbox")
    tree = page(response)
    rows = tree.cssselect("table.inbox tbody tr")
    assert [r.cssselect("td a")[0].text_content() for r in rows] == [_number(db, first), _number(db, second)]
    assert [r.cssselect(".badge")[0].text_content() for r in rows] == [
        "Sesuai jadwal · sisa 3 jam 30 menit", "Sesuai jadwal · sisa 3 jam 40 menit"]
    assert all("· Provinsi Sulawesi Selatan" in r.text_content() for r in rows), "the office by its name"
    queues = {" ".join(a.cssselect("span")[0].text_content().split()): a.cssselect(".count")[0].text_content()
              for a in tree.cssselect(".queues a")}
    assert queues == {"Semua tugas terbuka": "2", "Diklaim saya": "0", "Belum diklaim": "2",
                      "Hampir jatuh tempo": "0", "Terlambat": "0", "Izin Penelitian": "2"}
    assert "2 tugas" in text_of(response)


def test_a_queue_past_the_count_cap_says_more_than(visitor, monkeypatch):
    apply(visitor("andi"))
    apply(visitor("budi"))
    monkeypatch.setattr("engine.casework.inbox.COUNT_CAP", 1)
    response = visitor("vera").get("/inbox")
    assert "Lebih dari 1 tugas" in text_of(response) and "1 tugas" not in text_of(response).replace("Lebih dari 1", "")
    assert len(page(response).cssselect("table.inbox tbody tr")) == 2


def test_the_inbox_searches_by_registration_number_or_name_and_filters(visitor, db):
    apply(visitor("andi"))
    second = apply(visitor("budi"))
    vera = visitor("vera")
    found = page(vera.get("/inbox", query_string={"q": _number(db, second)[-5:]}))
    assert [a.text_content() for a in found.cssselect("table.inbox tbody td a")] == [_number(db, second)]
    by_name = page(vera.get("/inbox", query_string={"q": "budi"}))
    assert len(by_name.cssselect("table.inbox tbody tr")) == 1
    assert page(vera.get("/inbox?assignee=me")).cssselect("table.inbox") == []
    assert page(vera.get("/inbox?service=fishing_vessel_permit")).cssselect("table.inbox") == []
    assert page(vera.get("/inbox?sort=created_at&state=bogus&cursor=garbage")).cssselect("table.inbox tbody tr")


def test_the_inbox_finds_a_file_by_nik_form_name_and_title_and_shows_the_name_on_the_form(visitor, db):
    """A campus or a relative may fill in the form from their own account: the officer looks the file up by what the
    form says (NIK, name, research title) and reads the applicant named on it."""
    apply(visitor("andi"))
    theirs = apply(visitor("budi"), form=research_form(applicant_name="Siti Rahmawati", nik="7371999988887777",
                                                         research_title="Terumbu karang Kepulauan Spermonde"))
    vera = visitor("vera")
    for q in ("7371999988887777", "rahmawati", "SITI RAHMAWATI", "karang kepulauan spermonde", "budi"):
        rows = page(vera.get("/inbox", query_string={"q": q})).cssselect("table.inbox tbody tr")
        assert [r.cssselect("td a")[0].text_content() for r in rows] == [_number(db, theirs)], q
    assert len(page(vera.get("/inbox", query_string={"q": "7371010101010001"})).cssselect("table.inbox tbody tr")) == 1
    header = [th.text_content().strip() for th in page(vera.get("/inbox")).cssselect("table.inbox thead th")]
    column = header.index("Pemohon")
    names = {r.cssselect("td a")[0].text_content(): r.cssselect("td")[column].text_content().strip()
             for r in page(vera.get("/inbox")).cssselect("table.inbox tbody tr")}
    assert names[_number(db, theirs)] == "Siti Rahmawati", "the name on the form, not the account's (Budi Santoso)"
    sinjai = apply(visitor("andi"), "fishing_vessel_permit", vessel_form("sinjai", nik="7307012345678901"))
    found = page(visitor("sinta").get("/inbox", query_string={"q": "7307012345678901"}))
    assert [a.text_content() for a in found.cssselect("table.inbox tbody td a")] == [_number(db, sinjai)]
    assert "Daeng Rahman" in found.cssselect("table.inbox tbody tr")[0].text_content()


def test_an_overdue_task_carries_an_overdue_badge_in_working_hours(visitor, db, clock):
    apply(visitor("andi"))
    clock.advance(timedelta(days=1))  # Wednesday 09:00: the 4-hour verification was due Tuesday 13:00
    badge = page(visitor("vera").get("/inbox")).cssselect("table.inbox .badge")[0].text_content()
    assert badge == "Terlambat · terlambat 4 jam"


def test_an_officer_of_bone_never_sees_a_sinjai_file(visitor, db):
    andi = visitor("andi")
    sinjai = apply(andi, "fishing_vessel_permit", vessel_form("sinjai"))
    number = _number(db, sinjai)
    task_id = open_task_id(db, sinjai, "Task_Recommend")
    with db.transaction() as session:
        attachment_id = session.query(Attachment.id).filter_by(instance_id=sinjai).first()[0]
    bona = visitor("bona")
    inbox = bona.get("/inbox", query_string={"q": number})
    assert page(inbox).cssselect("table.inbox") == [] and "Daeng Rahman" not in inbox.get_data(as_text=True)
    for path in (f"/tasks/{task_id}", f"/applications/{sinjai}", f"/files/{attachment_id}", "/applications"):
        response = bona.get(path)
        assert response.status_code in (200, 404) and number not in response.get_data(as_text=True), path
    assert bona.get(f"/tasks/{task_id}").status_code == 404
    for action in ("claim", "unclaim"):
        assert bona.post(f"/tasks/{task_id}/{action}").status_code == 404
    refused = bona.post(f"/tasks/{task_id}", {"_decision": "Rekomendasikan"})
    assert refused.status_code == 404 and number not in refused.get_data(as_text=True)
    assert open_task_id(db, sinjai, "Task_Recommend") == task_id, "still waiting in Sinjai"
    sinta = page(visitor("sinta").get("/inbox"))
    assert [a.text_content() for a in sinta.cssselect("table.inbox tbody td a")] == [number]


def test_a_verifier_of_another_regency_never_sees_a_provincial_research_permit(visitor, db):
    application_id = apply(visitor("andi"))
    verbone = visitor("verbone")
    assert page(verbone.get("/inbox")).cssselect("table.inbox") == []
    assert verbone.get(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}").status_code == 404


def test_the_task_page_shows_data_documents_history_diagram_and_decisions_named_by_the_flows(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    tree = page(visitor("vera").get(f"/tasks/{task_id}"))
    assert [b.text_content() for b in tree.cssselect("button[name=_decision]")] == [
        "Setujui", "Kembalikan untuk perbaikan", "Tolak"]
    assert [b.get("class") for b in tree.cssselect("button[name=_decision]")] == [
        "button primary", "button secondary", "button danger"]
    documents = [a.text_content() for a in tree.cssselect(".summary a.document")]
    assert documents == ["application_letter.pdf", "campus_recommendation.pdf", "proposal.pdf", "ktp.pdf",
                         "statement_letter.pdf"]
    canvas = tree.cssselect("[data-bpmn-url]")[0]
    assert canvas.get("data-current") == "Task_Verify"
    assert tree.cssselect(".steps .step-current")[0].text_content().strip().startswith("Verifikasi berkas")
    assert "Permohonan diajukan" in tree.cssselect("table.history")[0].text_content()
    assert [c.get("value") for c in tree.cssselect("input[name=checklist]")][:2] == ["application_letter",
                                                                                    "campus_recommendation"]


def test_claim_release_and_a_colleague_cannot_take_a_claimed_task(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera, veri2 = visitor("vera"), visitor("veri2")
    response = vera.post(f"/tasks/{task_id}/claim", {"next": "/inbox"})
    assert response.headers["Location"] == "/inbox"
    tree = page(vera.get("/inbox?assignee=me"))
    assert tree.cssselect("table.inbox tbody tr td")[5].text_content() == "vera"
    veri2.post(f"/tasks/{task_id}/claim", {"next": "/inbox"})
    assert "Petugas lain baru saja mengklaim tugas ini." in text_of(veri2.get("/inbox"))
    tree = page(veri2.get(f"/tasks/{task_id}"))
    assert not tree.cssselect("button[name=_decision]") and "vera sedang mengerjakan tugas ini" in tree.text_content()
    refused = veri2.post(f"/tasks/{task_id}", {"_decision": "Setujui", "_revision": "1"})
    assert refused.status_code == 409 and "Permohonan berubah selagi Anda mengerjakannya" in text_of(refused)
    vera.post(f"/tasks/{task_id}/unclaim", {"next": "/inbox"})
    assert page(veri2.get("/inbox?assignee=none")).cssselect("table.inbox tbody tr")


def test_releasing_a_task_a_colleague_finished_meanwhile_says_so_on_the_task_page(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera, supri = visitor("vera"), visitor("supri")
    vera.post(f"/tasks/{task_id}/claim")
    vera.post(f"/tasks/{task_id}", {"_decision": "Setujui", "_revision": "1", "checklist": CHECKLIST})
    response = supri.post(f"/tasks/{task_id}/unclaim", {"next": "/inbox"})  # the supervisor's page was older
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task_id}"
    assert "Tugas ini berubah pada saat yang sama" in text_of(supri.get(f"/tasks/{task_id}"))


def test_completing_a_task_leads_to_the_next_task_in_the_queue(visitor, db):
    first = apply(visitor("andi"))
    second = apply(visitor("budi"))
    vera = visitor("vera")
    response = vera.post(f"/tasks/{open_task_id(db, first, 'Task_Verify')}",
                         {"_decision": "Setujui", "_queue": "service=research_permit", "checklist": CHECKLIST})
    following = open_task_id(db, second, "Task_Verify")
    assert response.headers["Location"] == f"/tasks/{following}?queue=service%3Dresearch_permit"
    assert "Berikut tugas berikutnya di antrean Anda." in text_of(vera.get(response.headers["Location"]))
    response = vera.post(f"/tasks/{following}", {"_decision": "Tolak", "note": "Bukan kewenangan provinsi."})
    assert response.headers["Location"] == "/inbox"
    assert "Antrean Anda kosong." in text_of(vera.get("/inbox"))
    with db.transaction() as session:
        assert session.get(Instance, second).outcome == "Permohonan ditolak"


def test_rejecting_without_the_note_the_applicant_will_read_is_refused_on_the_note(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera = visitor("vera")
    response = vera.post(f"/tasks/{task_id}", {"_decision": "Tolak", "note": "  ", "checklist": "ktp"})
    assert response.status_code == 422
    (error,) = page(response).cssselect("#f-note-error")
    assert "Wajib diisi." in error.text_content()
    assert page(response).cssselect("input[name=checklist][value=ktp]")[0].get("checked") is not None
    with db.transaction() as session:
        assert session.get(Instance, application_id).status == "running"
    assert vera.post(f"/tasks/{task_id}", {"_decision": "Tolak", "note": "KTP tidak terbaca."}).status_code == 302


def test_approving_needs_the_whole_checklist_ticked_returning_does_not(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera = visitor("vera")
    refused = vera.post(f"/tasks/{task_id}", {"_decision": "Setujui", "checklist": "ktp"})
    assert refused.status_code == 422
    (error,) = page(refused).cssselect("#f-checklist-error")
    said = " ".join(error.text_content().split())
    assert "Centang semua butir sebelum memilih 'Setujui'" in said and "Surat permohonan" in said
    assert "KTM (mahasiswa)" in said and "KTP," not in said
    assert page(refused).cssselect("input[name=checklist][value=ktp]")[0].get("checked") is not None
    assert open_task_id(db, application_id, "Task_Verify") == task_id, "still waiting for verification"
    returned = vera.post(f"/tasks/{task_id}", {"_decision": "Kembalikan untuk perbaikan", "checklist": "ktp",
                                               "note": "Lampirkan surat rekomendasi kampus."})
    assert returned.status_code == 302 and open_task_id(db, application_id, "Task_Revise")


def test_a_decision_must_be_one_of_the_flows_and_a_stale_page_is_told_so(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera = visitor("vera")
    response = vera.post(f"/tasks/{task_id}", {"_decision": "Setujui saja", "note": "catatan"})
    assert response.status_code == 422 and "Pilih salah satu keputusan" in text_of(response)
    assert page(response).cssselect("textarea[name=note]")[0].text_content() == "catatan"
    stale = vera.post(f"/tasks/{task_id}", {"_decision": "Setujui", "_revision": "0", "note": "ketinggalan"})
    assert stale.status_code == 409
    assert page(stale).cssselect("textarea[name=note]")[0].text_content() == "ketinggalan", "typed text kept"
    assert open_task_id(db, application_id, "Task_Verify") == task_id


def test_officers_of_the_same_office_but_another_group_may_not_work_the_task(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    assert visitor("kadis").get(f"/tasks/{task_id}").status_code == 403
    assert visitor("kadis").post(f"/tasks/{task_id}", {"_decision": "Setujui"}).status_code == 403


def test_a_supervisor_reassigns_a_task_to_an_officer_who_may_work_it(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    visitor("vera").post(f"/tasks/{task_id}/claim")
    supri = visitor("supri")
    tree = page(supri.get(f"/tasks/{task_id}"))
    choices = [o.get("value") for o in tree.cssselect("select[name=username] option")]
    assert choices == ["supri", "vera", "veri2"], "verifiers of sulsel and the supervisor; not Bone's, not kadis"
    response = supri.post(f"/tasks/{task_id}/assign", {"username": "veri2"})
    assert response.status_code == 302
    with db.transaction() as session:
        assert session.get(Task, task_id).assignee == "veri2"
    supri.post(f"/tasks/{task_id}/assign", {"username": "kadis"})
    assert "kadis tidak dapat mengerjakan tugas ini" in text_of(supri.get(f"/tasks/{task_id}"))
    assert visitor("vera").post(f"/tasks/{task_id}/assign", {"username": "vera"}).status_code == 403


def test_the_staff_list_of_applications_covers_their_offices_only(visitor, db):
    sinjai = apply(visitor("andi"), "fishing_vessel_permit", vessel_form("sinjai"))
    bone = apply(visitor("budi"), "fishing_vessel_permit", vessel_form("bone"))
    listed = [a.text_content() for a in page(visitor("sinta").get("/applications")).cssselect(".card h2 a")]
    assert listed == [_number(db, sinjai)]
    assert _number(db, bone) not in text_of(visitor("sinta").get("/applications"))


def test_an_officer_whose_decision_lost_a_race_is_told_it_was_not_saved(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera, veri2 = visitor("vera"), visitor("veri2")
    vera.get(f"/tasks/{task_id}")  # both pages are open at revision 1
    veri2.post(f"/tasks/{task_id}", {"_decision": "Kembalikan untuk perbaikan", "_revision": "1",
                                      "note": "KTP buram."})
    lost = vera.post(f"/tasks/{task_id}", {"_decision": "Setujui", "_revision": "1"})
    assert lost.status_code == 409
    (alert,) = page(lost).cssselect(".notice.error[role=alert]")
    assert alert.text_content().startswith(
        "Keputusan Anda (Setujui) tidak disimpan: rekan Anda menyelesaikan tugas ini pada saat yang sama.")
    assert "Kembalikan untuk perbaikan" in text_of(lost)
    english = vera.english().post(f"/tasks/{task_id}", {"_decision": "Setujui", "_revision": "1"})
    assert "Your decision (Setujui) was not saved" in text_of(english)


def test_a_completed_task_shows_how_long_it_took_against_its_target_not_time_left(visitor, db, clock):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera = visitor("vera")
    clock.advance(timedelta(hours=1))
    vera.post(f"/tasks/{task_id}", {"_decision": "Setujui", "_revision": "1", "checklist": CHECKLIST})
    badge = page(vera.get(f"/tasks/{task_id}")).cssselect(".facts .badge")[0]
    assert badge.text_content() == "Selesai dalam 1 jam · sesuai target" and "sla-met" in badge.get("class")

    late = apply(visitor("budi"))
    late_task = open_task_id(db, late, "Task_Verify")
    clock.advance(timedelta(hours=6))  # the 4-hour verification takes 6 working hours
    vera.post(f"/tasks/{late_task}", {"_decision": "Setujui", "_revision": "1", "checklist": CHECKLIST})
    text = page(vera.english().get(f"/tasks/{late_task}")).cssselect(".facts .badge")[0].text_content()
    assert text == "Completed in 6 h · over target" and "left" not in text


def test_time_left_counts_working_days_from_one_working_day_and_hours_below(visitor, db, clock):
    apply(visitor("andi"), "fishing_vessel_permit", vessel_form("sinjai"))  # the recommendation is due in P1D
    sinta = visitor("sinta")

    def badge():
        return page(sinta.get("/inbox")).cssselect("table.inbox .badge")[0].text_content()

    assert badge() == "Sesuai jadwal · sisa 1 hari kerja"
    clock.advance(timedelta(hours=2))
    assert badge() == "Sesuai jadwal · sisa 6 jam"
    clock.advance(timedelta(days=3))  # Friday 11:00: due Wednesday 09:00
    assert badge() == "Terlambat · terlambat 2 hari kerja 2 jam"


def test_the_province_reads_what_the_regencys_inspection_recorded_in_the_files_history(visitor, db):
    sinjai = apply(visitor("andi"), "fishing_vessel_permit", vessel_form("sinjai"))
    sinta = visitor("sinta")
    sinta.post(f"/tasks/{open_task_id(db, sinjai, 'Task_Recommend')}",
               {"_decision": "Rekomendasikan", "recommendation_number": "523/045/DKP-SJ/2026"})
    inspection = sinta.post(f"/tasks/{open_task_id(db, sinjai, 'Task_Inspect')}", {
        "_decision": "Layak", "inspection_date": "2026-06-03", "measured_gt": "11.5",
        "findings": "Lambung retak ringan di buritan; alat tangkap sesuai", "note": "Perlu diperbaiki sebelum 2027"})
    assert inspection.status_code == 302, text_of(inspection)
    review = open_task_id(db, sinjai, "Task_Review")
    for who, path in (("supri", f"/tasks/{review}"), ("admin", f"/applications/{sinjai}")):
        rows = page(visitor(who).get(path)).cssselect("table.history tbody tr")
        recorded = {}
        for r in rows:
            what = " ".join(r.cssselect("td")[1].text_content().split())
            label = next((w for w in ("Tugas selesai · Pemeriksaan fisik kapal · Layak", "Permohonan diajukan",
                                      "Tugas selesai · Rekomendasi kabupaten · Rekomendasikan") if what.startswith(w)),
                         what)
            recorded[label] = {" ".join(row.cssselect("dt")[0].text_content().split()):
                               row.cssselect("dd")[0].text_content().strip()
                               for row in r.cssselect("dl.record .summary-row")}
        assert recorded["Tugas selesai · Pemeriksaan fisik kapal · Layak"] == {
            "Tanggal pemeriksaan": "3 Jun 2026", "Ukuran kapal hasil pengukuran (GT)": "11,5",
            "Temuan pemeriksaan": "Lambung retak ringan di buritan; alat tangkap sesuai"}, who
        assert recorded["Tugas selesai · Rekomendasi kabupaten · Rekomendasikan"] == {
            "Nomor surat rekomendasi": "523/045/DKP-SJ/2026"}, who
        assert recorded["Permohonan diajukan"] == {}, "the start form is shown above, not in the history"


def test_a_supervisors_reason_for_cancelling_is_in_the_files_history(visitor, db):
    application_id = apply(visitor("andi"))
    supri = visitor("supri")
    supri.post(f"/applications/{application_id}/cancel", {"reason": "Pemohon mengajukan ulang dengan berkas baru"})
    rows = page(visitor("admin").get(f"/applications/{application_id}")).cssselect("table.history tbody tr")
    cancelled = [" ".join(r.text_content().split()) for r in rows if "dibatalkan" in r.text_content()]
    assert len(cancelled) == 1 and "Pemohon mengajukan ulang dengan berkas baru supri" in cancelled[0]


def test_the_office_cancels_a_file_only_with_the_reason_the_applicant_is_told(visitor, db):
    application_id = apply(visitor("andi"))
    supri = visitor("supri")
    form = page(supri.get(f"/applications/{application_id}")).cssselect("details.danger-zone")[0]
    assert "Batalkan permohonan ini atas nama kantor" in form.text_content()
    assert "Alasan (dibaca oleh pemohon)" in form.text_content()
    refused = supri.post(f"/applications/{application_id}/cancel", {"reason": "  "})
    assert refused.status_code == 422
    zone = page(refused).cssselect("details.danger-zone")[0]
    assert zone.get("open") is not None and "Tuliskan alasan yang akan dibaca pemohon." in zone.text_content()
    with db.transaction() as session:
        assert session.get(Instance, application_id).status == "running"
    done = supri.post(f"/applications/{application_id}/cancel", {"reason": "Berkas ganda"}, follow_redirects=True)
    assert "Permohonan telah dibatalkan; pemohon diberi tahu alasannya." in text_of(done)
    told = page(visitor("andi").get("/notifications")).text_content()
    assert "Kantor membatalkan permohonan" in told and "Alasan: Berkas ganda." in told


def test_not_found_speaks_of_offices_to_staff_and_of_their_own_files_to_applicants(visitor, db):
    application_id = apply(visitor("andi"))
    for_staff = visitor("bona").get(f"/applications/{application_id}")
    assert for_staff.status_code == 404 and "bukan wilayah kerja Anda" in text_of(for_staff)
    for_applicant = visitor("budi").get(f"/applications/{application_id}")
    assert for_applicant.status_code == 404
    assert "bukan milik Anda" in text_of(for_applicant) and "wilayah kerja" not in text_of(for_applicant)
    lost = visitor().get("/no-such-page", headers={"Accept": "text/html"})
    assert lost.status_code == 404 and "Permohonan saya" in text_of(lost) and lost.mimetype == "text/html"
    program = visitor().get("/no-such-page", headers={"Accept": "application/json"})
    assert program.status_code == 404 and program.get_json()["error"]["code"] == "not_found"
