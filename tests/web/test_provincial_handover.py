"""Provincial coordination: Barru has no fisheries officer, so after the handover time its file's step goes to the
province's queue; the provincial officer sees and works it, and the applicant's page says the province holds it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework.handover import HANDED_OVER
from engine.people import offices
from engine.services import definitions
from engine.storage.models import Event, Notification, Task
from scheduler import jobs
from tests.conftest import PROJECT_ROOT, T0
from tests.people import account, list_groups
from tests.web.conftest import apply, open_task_id, page, text_of, vessel_form


@pytest.fixture
def province(db, people):
    """A provincial fisheries officer, and the offices as their letters name them."""
    with db.transaction() as session:
        session.add(account("prova", ["officer"], ["regency_fisheries"], ["sulsel"], "Prova Provinsi"))
        list_groups(session, {"prova": ([], ["regency_fisheries"], [], "")})
        offices.save(session, "sulsel", actor="admin", at=T0, name="DPM-PTSP Provinsi Sulawesi Selatan")
        offices.save(session, "barru", actor="admin", at=T0, name="DPM-PTSP Kabupaten Barru")


def test_a_barru_file_reaches_the_provinces_queue_and_the_applicant_is_told(visitor, db, ctx, clock, deployed,
                                                                             province):
    andi = visitor("andi")
    application_id = apply(andi, "fishing_vessel_permit", vessel_form("barru"))
    recommend = open_task_id(db, application_id, "Task_Recommend")
    before = page(visitor("prova").get("/inbox"))
    assert f"/tasks/{recommend}" not in {a.get("href") for a in before.cssselect("a")}, "not the province's yet"

    clock.set(T0 + timedelta(hours=3, minutes=59))  # 09:00 WITA on a Tuesday: still within the four working hours
    assert jobs.hand_over_unstaffed(db.factory, ctx) == 0
    clock.set(T0 + timedelta(hours=4, minutes=1))
    assert jobs.hand_over_unstaffed(db.factory, ctx) == 1
    assert jobs.hand_over_unstaffed(db.factory, ctx) == 0, "moved once"
    with db.transaction() as session:
        assert session.get(Task, recommend).jurisdiction == "sulsel"
        (event,) = session.query(Event).filter_by(kind=HANDED_OVER).all()
        assert (event.actor, event.instance_id, event.data["from"], event.data["to"]) == (
            "system", application_id, "barru", "sulsel")
        assert "regency_fisheries" in event.data["why"] and "barru" in event.data["why"]
        (told,) = session.query(Notification).filter_by(kind=HANDED_OVER).all()
        assert told.recipient == "andi" and "DPM-PTSP Provinsi Sulawesi Selatan" in told.subject
        assert "DPM-PTSP Kabupaten Barru" in told.body

    holding = page(andi.get(f"/applications/{application_id}")).cssselect(".holding-office dd")
    assert [dd.text_content() for dd in holding] == ["Provinsi Sulawesi Selatan"]  # the office list's name

    prova = visitor("prova")
    inbox = page(prova.get("/inbox"))
    assert f"/tasks/{recommend}" in {a.get("href") for a in inbox.cssselect("a")}
    assert prova.get(f"/tasks/{recommend}").status_code == 200
    done = prova.post(f"/tasks/{recommend}", {"_decision": "Rekomendasikan", "recommendation_number": "523/7/DKP"})
    assert done.status_code == 302, text_of(done)
    with db.transaction() as session:
        worked = session.get(Task, recommend)
        assert (worked.state, worked.completed_by) == ("completed", "prova")
    # The file's next regency step does not wait its hours again: Barru has still nobody.
    inspect = open_task_id(db, application_id, "Task_Inspect")
    assert jobs.hand_over_unstaffed(db.factory, ctx) == 1
    with db.transaction() as session:
        assert session.get(Task, inspect).jurisdiction == "sulsel"


def test_a_step_stays_when_its_supervising_office_has_nobody_for_it_either(visitor, db, ctx, clock, deployed,
                                                                            people):
    """Without a provincial fisheries officer, moving the file would only hide it elsewhere: it stays, and the
    administrators' notice still names it."""
    application_id = apply(visitor("andi"), "fishing_vessel_permit", vessel_form("barru"))
    clock.set(T0 + timedelta(days=2))
    assert jobs.hand_over_unstaffed(db.factory, ctx) == 0
    with db.transaction() as session:
        assert session.get(Task, open_task_id(db, application_id, "Task_Recommend")).jurisdiction == "barru"
    assert jobs.notify_unstaffed(db.factory, ctx) == 1


def test_an_office_names_its_own_supervising_office(visitor, db, ctx, clock, deployed, people):
    """A regency supervised by another office than the default one goes there (Office.supervising_office)."""
    with db.transaction() as session:
        session.add(account("pare", ["officer"], ["regency_fisheries"], ["parepare"], "Pare Pare"))
        offices.save(session, "barru", actor="admin", at=T0, name="Barru", supervising_office="parepare")
    application_id = apply(visitor("andi"), "fishing_vessel_permit", vessel_form("barru"))
    clock.set(T0 + timedelta(days=1))
    assert jobs.hand_over_unstaffed(db.factory, ctx) == 1
    with db.transaction() as session:
        assert session.get(Task, open_task_id(db, application_id, "Task_Recommend")).jurisdiction == "parepare"


def test_the_offices_page_lists_each_office_with_nobody_for_a_step(visitor, db, ctx, deployed, people):
    rows = page(visitor("admin").get("/admin/offices")).cssselect("table.office-gaps tbody tr")
    listed = {tuple(td.text_content() for td in row.cssselect("td")) for row in rows}
    assert ("fishing_vessel_permit", "Rekomendasi kabupaten", "regency_fisheries", "barru") in listed
    assert not any(office in ("sinjai", "bone") and group == "regency_fisheries" for _s, _t, group, office in listed)


def test_an_office_is_given_its_supervising_office_on_its_page(visitor, db, people):
    admin = visitor("admin")
    refused = admin.post("/admin/offices/barru", {"name": "Barru", "supervising_office": "Barru Prov!"})
    assert refused.status_code == 422 and page(refused).cssselect(".field.invalid #supervising_office")
    assert "Supervising office" in text_of(admin.english().post(
        "/admin/offices/barru", {"name": "Barru", "supervising_office": "Barru Prov!"}))
    assert admin.post("/admin/offices/barru", {"name": "Barru", "supervising_office": "parepare"}).status_code == 302
    with db.transaction() as session:
        assert offices.get(session, "barru").supervising_office == "parepare"


def test_deploy_warns_about_each_office_a_step_can_reach_without_an_officer(db, ctx, people):
    path = PROJECT_ROOT / "processes" / "fishing_vessel_permit.bpmn"
    with db.transaction() as session:
        result = definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                                    definitions.form_source(ctx, path), actor="analis")
    (recommend,) = [w for w in result.warnings if w["code"] == "office_unstaffed"
                    and w["element_id"] == "Task_Recommend"]
    said = recommend["message"]
    assert "barru" in said and "regency_fisheries" in said and "sinjai" not in said.split("group")[0]
