"""The office that works a file comes from the service's rule — never from the request.

The research permit is always worked by the province (``sulsel``); the fishing permit by the office of the vessel's
home regency, which the applicant picks from the start form's list. Naming an office in the request is refused, so
nobody can send a file to an office nobody serves (``ghost``) or to another regency's inbox.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.storage.models import Instance, Task
from tests.api.conftest import apply, research_data, vessel_data

pytestmark = pytest.mark.usefixtures("deployed")


def _files_in(db, office: str) -> tuple[int, int]:
    """How many applications and task rows sit in ``office``."""
    with db.transaction() as session:
        return (session.scalar(select(func.count(Instance.id)).where(Instance.jurisdiction == office)),
                session.scalar(select(func.count(Task.id)).where(Task.jurisdiction == office)))


def _office_of(db, application_id: int) -> tuple[str, list[str]]:
    with db.transaction() as session:
        instance = session.get(Instance, application_id)
        steps = session.scalars(select(Task.jurisdiction).where(Task.instance_id == application_id)).all()
        return instance.jurisdiction, list(steps)


def test_an_applicant_naming_an_office_nobody_serves_is_refused_by_the_field_and_nothing_is_filed(client, people,
                                                                                               db):
    andi = people.headers("andi")
    response = client.post("/api/v1/applications", headers=andi, json={
        "service": "research_permit", "data": research_data(client, andi), "jurisdiction": "ghost"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error["details"]) == {"jurisdiction"}
    assert "the service decides it" in error["details"]["jurisdiction"]
    assert _files_in(db, "ghost") == (0, 0)
    assert client.get("/api/v1/applications", headers=andi).get_json()["total"] == 0


@pytest.mark.parametrize(("service", "regency", "named"), [
    ("research_permit", None, "sinjai"),          # a province service sent to a regency
    ("fishing_vessel_permit", "sinjai", "bone"),  # a Sinjai vessel sent to Bone's inbox
    ("fishing_vessel_permit", "sinjai", None),     # even an empty choice is refused: there is none to make
])
def test_an_applicant_cannot_choose_a_real_but_wrong_office(client, people, db, service, regency, named):
    andi = people.headers("andi")
    data = research_data(client, andi) if regency is None else vessel_data(client, andi, regency)
    response = client.post("/api/v1/applications", headers=andi,
                           json={"service": service, "data": data, "jurisdiction": named})
    assert response.status_code == 422 and "jurisdiction" in response.get_json()["error"]["details"]
    with db.transaction() as session:
        assert session.scalar(select(func.count(Instance.id))) == 0
        assert session.scalar(select(func.count(Task.id))) == 0


def test_the_research_permit_goes_to_the_province_office(client, people, db):
    created = apply(client, people.headers("andi"))
    assert _office_of(db, created["id"]) == ("sulsel", ["sulsel"])


@pytest.mark.parametrize("regency", ["sinjai", "bone"])
def test_the_fishing_permit_goes_to_the_regency_chosen_in_the_form(client, people, db, regency):
    andi = people.headers("andi")
    created = apply(client, andi, "fishing_vessel_permit", vessel_data(client, andi, regency))
    assert _office_of(db, created["id"]) == (regency, [regency])
    assert [task["jurisdiction"] for task in created["tasks"]] == [regency]


def test_a_regency_the_form_does_not_list_is_refused_naming_the_field(client, people, db):
    andi = people.headers("andi")
    response = client.post("/api/v1/applications", headers=andi, json={
        "service": "fishing_vessel_permit", "data": vessel_data(client, andi, "ghost")})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"home_regency"}
    assert _files_in(db, "ghost") == (0, 0)


def test_the_front_office_applies_for_files_of_its_own_office_only_and_names_none(client, people, db):
    people.headers("andi")
    bone_counter = people.headers("loket.bone")
    created = apply(client, bone_counter, "fishing_vessel_permit", vessel_data(client, bone_counter, "bone"),
                    applicant="andi")
    assert _office_of(db, created["id"]) == ("bone", ["bone"])
    elsewhere = client.post("/api/v1/applications", headers=bone_counter, json={
        "service": "fishing_vessel_permit", "data": vessel_data(client, bone_counter, "sinjai"), "applicant": "andi"})
    assert elsewhere.status_code == 403
    named = client.post("/api/v1/applications", headers=bone_counter, json={
        "service": "fishing_vessel_permit", "data": vessel_data(client, bone_counter, "sinjai"), "applicant": "andi",
        "jurisdiction": "bone"})
    assert named.status_code == 422 and "jurisdiction" in named.get_json()["error"]["details"]
    assert _files_in(db, "sinjai") == (0, 0)


def test_the_api_documents_that_the_office_is_not_chosen(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["components"]["schemas"]["ApplicationCreate"]
    assert "jurisdiction" not in body["properties"]
    assert "never from the request" in body["description"]
