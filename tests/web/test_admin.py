"""Administration pages: accounts with roles, groups and offices; password reset; the organisation overview."""

from __future__ import annotations

import pytest

from engine.storage.models import ApiToken, Event, Task, User
from tests.web.conftest import apply, open_task_id, page, text_of

pytestmark = pytest.mark.usefixtures("deployed", "people")


def test_only_administrators_reach_the_administration(visitor):
    for who in ("andi", "vera", "supri"):
        assert visitor(who).get("/admin/users").status_code == 403
    assert visitor().get("/admin/users").status_code == 302


def test_the_user_list_filters_by_role_and_name(visitor):
    admin = visitor("admin")
    names = [a.text_content() for a in page(admin.get("/admin/users?role=applicant")).cssselect("tbody td a")]
    assert names == ["andi", "budi"]
    names = [a.text_content() for a in page(admin.get("/admin/users?q=bone")).cssselect("tbody td a")]
    assert names == ["bona", "verbone"]


def test_an_administrator_creates_an_officer_with_groups_from_the_list_and_offices_in_use(visitor, db):
    admin = visitor("admin")
    tree = page(admin.get("/admin/users/new"))
    groups = [c.get("value") for c in tree.cssselect("input[name=groups]")]
    # The managed list (Admin → Groups), not every name some diagram happens to use (fisheries_reviewer is not on it).
    assert groups == ["front_office", "head_of_office", "regency_fisheries", "verifier"]
    offices = [c.get("value") for c in tree.cssselect("input[name=jurisdictions]")]
    assert offices[0] == "*" and {"sulsel", "sinjai", "bone"} <= set(offices)
    response = admin.post("/admin/users/new", {
        "username": "petugas.wajo", "password": "kata-sandi-kuat", "full_name": "Petugas Wajo",
        "roles": "officer", "groups": "regency_fisheries", "jurisdictions": "sinjai",
        "other_offices": "wajo, sengkang"})
    assert response.headers["Location"] == "/admin/users/petugas.wajo"
    with db.transaction() as session:
        user = session.query(User).filter_by(username="petugas.wajo").one()
        assert (user.roles, user.groups, user.jurisdictions) == (
            ["officer"], ["regency_fisheries"], ["sengkang", "sinjai", "wajo"])


def test_account_errors_are_shown_in_place(visitor):
    admin = visitor("admin")
    response = admin.post("/admin/users/new", {"username": "Bad Name", "password": "pendek", "full_name": "X"})
    assert response.status_code == 422
    tree = page(response)
    assert "Isi minimal 8 karakter." in tree.cssselect("#f-password-error")[0].text_content()
    assert tree.cssselect("#f-roles-error")[0].text_content().endswith("Pilih minimal satu.")
    taken = admin.post("/admin/users/new", {"username": "vera", "password": "kata-sandi-kuat", "roles": "officer"})
    assert "sudah dipakai" in page(taken).cssselect("#f-username-error")[0].text_content()


def test_an_administrator_changes_roles_and_deactivates_an_account(visitor, db):
    admin = visitor("admin")
    tree = page(admin.get("/admin/users/vera"))
    assert tree.cssselect("input[name=roles][value=officer]")[0].get("checked") is not None
    assert tree.cssselect("input[name=groups][value=verifier]")[0].get("checked") is not None
    vera = visitor("vera")
    response = admin.post("/admin/users/vera", {"full_name": "Vera V.", "roles": ["officer", "supervisor"],
                                                "groups": "verifier", "jurisdictions": "sulsel"})
    assert response.status_code == 302
    with db.transaction() as session:
        user = session.query(User).filter_by(username="vera").one()
        assert user.roles == ["officer", "supervisor"] and user.active is False
    assert vera.get("/inbox").status_code == 302, "deactivated: signed out of the pages"
    refused = admin.post("/admin/users/admin", {"roles": "officer", "active": "true"})
    assert refused.status_code == 422 and "mencabut peran administrator" in text_of(refused)


def test_a_password_reset_signs_the_person_out_everywhere(visitor, db):
    budi = visitor("budi")
    admin = visitor("admin")
    admin.post("/admin/users/budi/password", {"password": "sandi-baru-kuat"})
    assert "telah diatur ulang" in text_of(admin.get("/admin/users/budi"))
    assert budi.get("/applications").status_code == 302
    visitor().sign_in("budi", "sandi-baru-kuat")
    with db.transaction() as session:
        assert session.query(ApiToken).filter(ApiToken.revoked_at.is_(None)).count() >= 1


def test_the_organisation_page_shows_roles_groups_with_their_steps_and_offices(visitor):
    tree = page(visitor("admin").get("/admin/organisation"))
    rows = {r.cssselect("td")[0].text_content(): " ".join(r.cssselect("td")[1].text_content().split())
            for r in tree.cssselect("#groups + p + div table tbody tr")}
    assert rows["verifier"] == "Verifikasi berkas (research_permit)"
    assert "Rekomendasi kabupaten (fishing_vessel_permit)" in rows["regency_fisheries"]
    assert "front_office" in rows and rows["front_office"] == "–"
    assert "2 akun pemohon" in tree.text_content()
    offices = [r.cssselect("td")[0].text_content() for r in tree.cssselect("#offices + div table tbody tr")]
    assert offices[0] == "Semua kantor (*)" and {"Provinsi Sulawesi Selatan (sulsel)", "Kabupaten Sinjai (sinjai)",
                                                  "Kabupaten Bone (bone)"} <= set(offices)


def _claimed_by(db, task_id: str):
    with db.transaction() as session:
        task = session.get(Task, task_id)
        return task.state, task.assignee


def test_deactivating_an_officer_puts_the_tasks_they_claimed_back_in_their_groups_queue(visitor, db):
    application = apply(visitor("andi"))
    task_id = open_task_id(db, application, "Task_Verify")
    vera = visitor("vera")
    vera.post(f"/tasks/{task_id}/claim")
    assert _claimed_by(db, task_id) == ("claimed", "vera")
    response = visitor("admin").post("/admin/users/vera", {"roles": "officer", "groups": "verifier",
                                                           "jurisdictions": "sulsel"}, follow_redirects=True)
    assert _claimed_by(db, task_id) == ("ready", None), "nobody could work it: vera can no longer sign in"
    assert "kembali ke antrean grup: Verifikasi berkas (" in text_of(response)
    with db.transaction() as session:
        released = session.query(Event).filter_by(kind="task_unclaimed", task_id=task_id).one()
        assert (released.actor, released.data["previous_assignee"], released.data["reason"]) == (
            "admin", "vera", "account_deactivated")
    inbox = page(visitor("veri2").get("/inbox?assignee=none"))
    assert [a.get("href").split("?")[0] for a in inbox.cssselect("table.inbox tbody td a")][:1] == [f"/tasks/{task_id}"]


def test_an_officer_moved_to_another_group_loses_only_the_claims_of_steps_they_may_no_longer_work(visitor, db):
    verify = open_task_id(db, apply(visitor("andi")), "Task_Verify")
    visitor("vera").post(f"/tasks/{verify}/claim")
    admin = visitor("admin")
    admin.post("/admin/users/vera", {"roles": "officer", "groups": ["verifier", "head_of_office"],
                                     "jurisdictions": "sulsel", "active": "true"})
    assert _claimed_by(db, verify) == ("claimed", "vera"), "still a verifier: the claim stays"
    admin.post("/admin/users/vera", {"roles": "officer", "groups": "head_of_office", "jurisdictions": "sulsel",
                                     "active": "true"})
    assert _claimed_by(db, verify) == ("ready", None)
