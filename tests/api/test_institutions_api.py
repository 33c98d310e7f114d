"""Campuses over the JSON API: the public list a phone's registration form offers, a student registering under a
campus, administration, and an operator's paged, filtered list of their students' files."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.people import institutions
from engine.people.access import ADMIN, ALL_JURISDICTIONS, Actor
from engine.services import definitions
from engine.storage.models import Instance, User
from tests.api.conftest import apply
from tests.conftest import PROJECT_ROOT
from tests.people import CHEAP_HASH, PASSWORD

ADMIN_ACTOR = Actor.of("admin", [ADMIN], jurisdictions=[ALL_JURISDICTIONS])


def _token(client, username: str, password: str = PASSWORD) -> dict:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_a_student_registers_under_a_campus_from_the_public_list(client, people):
    admin = people.headers("admin")
    created = client.post("/api/v1/institutions", headers=admin,
                          json={"code": "unhas", "name": "Universitas Hasanuddin"})
    assert created.status_code == 201 and created.get_json()["students"] == 0
    assert client.post("/api/v1/institutions", headers=people.headers("vera"),
                       json={"code": "unm", "name": "UNM"}).status_code == 403

    listed = client.get("/api/v1/institutions")  # no sign-in: the registration form needs it
    assert listed.get_json() == {"items": [{"code": "unhas", "name": "Universitas Hasanuddin"}]}
    registered = client.post("/api/v1/auth/register", json={"username": "rina", "password": PASSWORD + "-rina",
                                                            "full_name": "Rina", "institution": "unhas"})
    assert registered.status_code == 201
    assert registered.get_json()["user"]["institution"] == "unhas"
    unknown = client.post("/api/v1/auth/register", json={"username": "sari", "password": PASSWORD + "-sari",
                                                         "institution": "itb"})
    assert unknown.status_code == 422 and "institution" in unknown.get_json()["error"]["details"]
    assert client.get("/api/v1/institutions/unhas", headers=admin).get_json()["students"] == 1

    operator = client.post("/api/v1/institutions/unhas/operators", headers=admin,
                           json={"username": "op-unhas", "password": PASSWORD + "-kampus"})
    assert operator.status_code == 201 and operator.get_json()["roles"] == ["institution"]
    detail = client.get("/api/v1/institutions/unhas", headers=admin).get_json()
    assert detail["operators"] == ["op-unhas"] and detail["students"] == 1
    assert client.get("/api/v1/institutions/itb", headers=admin).status_code == 422


@pytest.fixture
def campus(db, ctx, people):
    path = PROJECT_ROOT / "examples" / "research_permit_campus.bpmn"
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                           definitions.form_source(ctx, path), actor="analis")
        institutions.create(session, ctx, ADMIN_ACTOR, code="unhas", name="Universitas Hasanuddin")
        institutions.add_operator(session, ctx, ADMIN_ACTOR, code="unhas", username="op-unhas",
                                  password="kampus-merdeka-2026")
        session.query(User).filter_by(username="op-unhas").update({"password_hash": CHEAP_HASH})
    people.headers("andi")  # the account exists before it is put under the campus
    with db.transaction() as session:
        session.query(User).filter_by(username="andi").update({"institution_code": "unhas"})


def test_an_operator_pages_through_its_students_files(client, db, people, campus):
    andi = people.headers("andi")
    started = [apply(client, andi)["id"] for _ in range(3)]
    with db.transaction() as session:
        session.get(Instance, started[0]).status = "cancelled"
    operator = _token(client, "op-unhas")  # signs in with its password, like a phone
    first = client.get("/api/v1/campus/files?limit=2", headers=operator).get_json()
    assert first["total"] == 3 and [row["id"] for row in first["items"]] == started[:0:-1]
    assert all(row["campus_steps"] for row in first["items"])  # each waits for the campus's confirmation
    second = client.get("/api/v1/campus/files?limit=2&offset=2", headers=operator).get_json()
    assert [(row["id"], row["file_status"]) for row in second["items"]] == [(started[0], "cancelled")]
    cancelled = client.get("/api/v1/campus/files?status=cancelled", headers=operator).get_json()
    assert cancelled["total"] == 1
    wrong = client.get("/api/v1/campus/files?status=done", headers=operator)
    assert wrong.status_code == 422 and "status" in wrong.get_json()["error"]["details"]
    assert client.get("/api/v1/campus/files", headers=andi).status_code == 403
