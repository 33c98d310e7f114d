"""A campus on the web pages: students register under it, its operator lists only its students' files, confirms a
student on the ordinary task page, and applies for a student (the student as applicant)."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.people import institutions, users
from engine.people.access import ADMIN, ALL_JURISDICTIONS, Actor
from engine.services import definitions
from engine.storage.models import Instance, User
from tests.conftest import PROJECT_ROOT
from tests.people import CHEAP_HASH, PASSWORD
from tests.web.conftest import apply, open_task_id, page, research_form, text_of

ADMIN_ACTOR = Actor.of("admin", [ADMIN], jurisdictions=[ALL_JURISDICTIONS])


@pytest.fixture
def campuses(db, ctx, people):
    path = PROJECT_ROOT / "examples" / "research_permit_campus.bpmn"
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                           definitions.form_source(ctx, path), actor="analis")
        for code, name in (("unhas", "Universitas Hasanuddin"), ("unm", "Universitas Negeri Makassar")):
            institutions.create(session, ctx, ADMIN_ACTOR, code=code, name=name)
            institutions.add_operator(session, ctx, ADMIN_ACTOR, code=code, username=f"op-{code}",
                                      password="kampus-merdeka-2026")
        for user in session.query(User).filter(User.username.in_(("op-unhas", "op-unm"))):
            user.password_hash = CHEAP_HASH  # signs in with the shared test password


def test_a_student_registers_under_a_campus_and_the_form_is_prefilled(db, campuses, visitor):
    student = visitor()
    form = page(student.get("/register"))
    assert [o.text for o in form.cssselect("select[name=institution] option") if o.get("value")] == [
        "Universitas Hasanuddin", "Universitas Negeri Makassar"]
    response = student.post("/register", {"full_name": "Rina Wulandari", "username": "rina",
                                           "password": PASSWORD + "-rina", "institution": "unm"})
    assert response.status_code == 302, text_of(response)
    with db.transaction() as session:
        assert users.by_username(session, "rina").institution_code == "unm"
    prefilled = page(student.get("/services/research_permit/apply"))
    assert prefilled.cssselect("input[name=institution]")[0].get("value") == "Universitas Negeri Makassar"


def test_an_operator_confirms_its_student_and_sees_only_its_files(db, ctx, campuses, visitor):
    with db.transaction() as session:
        session.query(User).filter_by(username="andi").update({"institution_code": "unhas"})
    andi_file = apply(visitor("andi"))
    budi_file = apply(visitor("budi"))
    operator, other = visitor("op-unhas"), visitor("op-unm")
    listing = page(operator.get("/campus"))
    links = [a.get("href") for a in listing.cssselect("li.campus-file h2 a")]
    assert links == [f"/applications/{andi_file}"]
    confirm = open_task_id(db, andi_file, "Task_CampusConfirm")
    assert listing.cssselect(f"a[href='/tasks/{confirm}']")
    assert page(other.get("/campus")).cssselect("li.campus-file") == []
    assert other.get(f"/applications/{andi_file}").status_code == 404
    assert "Andi Pratama" in text_of(operator.get(f"/applications/{andi_file}"))  # its own student's file
    assert operator.get(f"/applications/{budi_file}").status_code == 404
    assert operator.get("/inbox").status_code == 403  # not office staff

    refused = operator.post(f"/tasks/{confirm}", {"_revision": "0"})
    assert refused.status_code == 422  # the confirmation box is required
    with db.transaction() as session:
        revision = session.get(Instance, andi_file).revision
    done = operator.post(f"/tasks/{confirm}", {"student_confirmed": "true", "campus_note": "Mahasiswa aktif",
                                               "_revision": str(revision)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/campus")
    assert open_task_id(db, andi_file, "Task_Verify") is not None


def test_an_operator_applies_for_its_student_only(db, campuses, visitor):
    with db.transaction() as session:
        session.query(User).filter_by(username="andi").update({"institution_code": "unhas"})
    operator = visitor("op-unhas")
    response = operator.post("/services/research_permit/apply", {**research_form(), "_applicant": "budi"})
    assert response.status_code == 422
    application_id = apply(operator, form={**research_form(), "_applicant": "andi"})
    with db.transaction() as session:
        instance = session.get(Instance, application_id)
        assert (instance.applicant, instance.institution_code) == ("andi", "unhas")
