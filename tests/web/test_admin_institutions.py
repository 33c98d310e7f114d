"""The administrator keeps the campuses on a page of their own: adds one, corrects it, gives it an operator account,
and sees how many students registered under it; mistakes are named on their field and nothing is half-saved."""

from __future__ import annotations

import pytest

from engine.people import users
from engine.storage.models import Event, Institution
from tests.people import PASSWORD
from tests.web.conftest import page, text_of

pytestmark = pytest.mark.usefixtures("people")


def test_an_administrator_adds_a_campus_corrects_it_and_gives_it_an_operator(visitor, db):
    admin = visitor("admin")
    assert visitor("vera").get("/admin/institutions").status_code == 403
    added = admin.post("/admin/institutions", {"code": "unhas", "name": "Universitas Hasanudin",
                                               "address": "Jl. Perintis Kemerdekaan Km. 10, Makassar"})
    assert added.status_code == 302
    fixed = admin.post("/admin/institutions/unhas", {"name": "Universitas Hasanuddin",
                                                     "address": "Jl. Perintis Kemerdekaan Km. 10, Makassar",
                                                     "email": "humas@unhas.ac.id"})
    assert fixed.status_code == 302
    operator = admin.post("/admin/institutions/operators", {"institution": "unhas", "username": "op-unhas",
                                                            "full_name": "Operator Unhas",
                                                            "password": PASSWORD + "-kampus"})
    assert operator.status_code == 302, text_of(operator)
    student = visitor()
    registered = student.post("/register", {"full_name": "Rina Wulandari", "username": "rina",
                                            "password": PASSWORD + "-rina", "institution": "unhas"})
    assert registered.status_code == 302

    row = page(admin.get("/admin/institutions")).cssselect("#institution-unhas")[0]
    assert row.cssselect("input[name=name]")[0].get("value") == "Universitas Hasanuddin"
    assert row.cssselect(".institution-operators a")[0].text_content() == "op-unhas"
    assert row.cssselect(".institution-students")[0].text_content().strip() == "1"  # the operator is not a student
    with db.transaction() as session:
        assert users.by_username(session, "op-unhas").institution_code == "unhas"
        changes = [e.data for e in session.query(Event).filter_by(kind="institution_changed")]
    assert [change["changed"] for change in changes] == [{
        "name": ["Universitas Hasanudin", "Universitas Hasanuddin"], "email": [None, "humas@unhas.ac.id"]}]
    operator_visit = visitor()
    operator_visit.sign_in("op-unhas", PASSWORD + "-kampus")
    assert operator_visit.get("/campus").status_code == 200


def test_mistakes_are_named_on_their_field_and_nothing_is_saved(visitor, db):
    admin = visitor("admin")
    bad = admin.post("/admin/institutions", {"code": "Unhas Makassar!", "name": "", "email": "humas@unhas"})
    assert bad.status_code == 422
    form = page(bad).cssselect("#institution-add")[0]
    assert {i.get("name") for i in form.cssselect("input[aria-invalid=true]")} == {"code", "name", "email"}
    assert form.cssselect("input[name=code]")[0].get("value") == "Unhas Makassar!"  # what was typed stays
    assert admin.post("/admin/institutions", {"code": "unm", "name": "Universitas Negeri Makassar"}).status_code == 302
    taken = admin.post("/admin/institutions", {"code": "unm", "name": "Lain"})
    assert taken.status_code == 409 and "unm" in text_of(taken)
    weak = admin.post("/admin/institutions/operators", {"institution": "unm", "username": "op-unm",
                                                        "password": "password"})
    assert weak.status_code == 422
    assert page(weak).cssselect("#operator-add input[name=password][aria-invalid=true]")
    with db.transaction() as session:
        assert [i.code for i in session.query(Institution)] == ["unm"]
        assert users.by_username(session, "op-unm") is None
