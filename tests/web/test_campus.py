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


def _finish(db, application_id: int, meaning: str | None) -> None:
    """Mark a file finished on an end event of the given meaning (or cancelled when ``meaning`` is None)."""
    with db.transaction() as session:
        instance = session.get(Instance, application_id)
        if meaning is None:
            instance.status = "cancelled"
            return
        outcomes = (instance.definition.meta or {}).get("outcomes") or {}
        instance.status = "completed"
        instance.outcome = next(name for name, said in outcomes.items() if said == meaning)


def test_the_campus_page_filters_searches_and_pages_in_the_database(db, campuses, visitor, monkeypatch):
    from engine.reporting import campus_files

    with db.transaction() as session:
        session.query(User).filter_by(username="andi").update({"institution_code": "unhas"})
    running, cancelled, rejected, approved = (apply(visitor("andi")) for _ in range(4))
    _finish(db, cancelled, None)
    _finish(db, rejected, "reject")
    _finish(db, approved, "approve")
    apply(visitor("budi"))  # not a student of the campus: never listed, whatever the filter
    operator = visitor("op-unhas")

    def listed(url: str) -> list[str]:
        return [a.get("href").rsplit("/", 1)[1] for a in page(operator.get(url)).cssselect("li.campus-file h2 a")]

    assert listed("/campus?status=cancelled") == [str(cancelled)]
    assert listed("/campus?status=rejected") == [str(rejected)]
    assert listed("/campus?status=issued") == [str(approved)]
    assert listed("/campus?status=in_process") == [str(running)]
    assert listed("/campus?status=closed") == []
    with db.transaction() as session:
        number = session.get(Instance, rejected).registration_no
    assert listed(f"/campus?q={number}") == [str(rejected)]
    assert len(listed("/campus?q=andi")) == 4 and listed("/campus?q=budi") == []
    assert listed("/campus?q=100%25") == []  # the wildcard is a character, not "anything"

    monkeypatch.setattr(campus_files, "PAGE_SIZE", 3)
    first = page(operator.get("/campus"))
    assert len(first.cssselect("li.campus-file")) == 3
    assert "1–3" in first.cssselect("#campus-count")[0].text_content()
    older = first.cssselect("nav.pager a[rel=next]")[0].get("href")
    assert listed(older) == [str(running)]  # the oldest file, on the second page
    assert not first.cssselect("nav.pager a[rel=prev]")
