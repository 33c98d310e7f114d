"""Administrators manage API clients on the administration pages: list, add (the secret shown once), rotate,
revoke — each audited, none for anyone else."""

from __future__ import annotations

import pytest

from engine.integration import clients
from engine.storage.models import ApiClient, Event
from tests.web.conftest import page, text_of

pytestmark = pytest.mark.usefixtures("people")


def _secret(response) -> str:
    (code,) = page(response).cssselect("#secret code.secret")
    return code.text_content().strip()


def _signs_in(db, secret: str, name: str) -> bool:
    with db.transaction() as session:
        try:
            clients.authenticate(session, secret, name)
        except clients.Unauthenticated:
            return False
        return True


def _add(admin, name="dukcapil", **fields):
    return admin.post("/admin/clients/new", {"name": name, "topics": "nik-check, payment", "messages": "",
                                             "jurisdictions": "sinjai", **fields})


def test_only_administrators_reach_the_api_clients(visitor):
    for who in ("andi", "vera", "supri"):
        assert visitor(who).get("/admin/clients").status_code == 403
        assert visitor(who).post("/admin/clients/new", {"name": "x"}).status_code == 403
    assert visitor().get("/admin/clients").status_code == 302


def test_an_administrator_adds_a_client_and_sees_its_secret_once(visitor, db):
    admin = visitor("admin")
    assert "API clients" in text_of(admin.english().get("/admin/users"))
    created = _add(admin)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    secret = _secret(created)
    assert secret.startswith("lcc_") and _signs_in(db, secret, "dukcapil")
    listed = admin.get("/admin/clients")
    assert secret not in listed.get_data(as_text=True)
    (row,) = page(listed).cssselect("#client-dukcapil")
    cells = [" ".join(td.text_content().split()) for td in row.cssselect("td")]
    assert cells[:5] == ["dukcapil", "nik-check, payment", "–", "sinjai", "Active"]
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="api_client_added").all()
        assert (event.actor, event.data["client"], event.data["topics"]) == ("admin", "dukcapil",
                                                                              ["nik-check", "payment"])
        assert secret not in str(event.data)


def test_a_taken_or_malformed_name_is_refused_in_place(visitor, db):
    admin = visitor("admin")
    _add(admin)
    taken = _add(admin)
    assert taken.status_code == 422
    assert "Sudah ada klien API" in page(taken).cssselect("#f-name-error")[0].text_content()
    bad = _add(admin, name="nama dengan spasi")
    assert bad.status_code == 422 and not page(bad).cssselect("#secret")
    with db.transaction() as session:
        assert session.query(ApiClient).count() == 1


def test_rotating_shows_a_new_secret_and_the_old_one_stops_working(visitor, db):
    admin = visitor("admin")
    old = _secret(_add(admin))
    rotated = admin.post("/admin/clients/dukcapil/rotate", {})
    new = _secret(rotated)
    assert new != old and _signs_in(db, new, "dukcapil") and not _signs_in(db, old, "dukcapil")
    with db.transaction() as session:
        assert session.query(Event).filter_by(kind="api_client_rotated").one().actor == "admin"


def test_revoking_stops_the_client_and_the_list_says_so(visitor, db):
    admin = visitor("admin")
    secret = _secret(_add(admin))
    response = admin.post("/admin/clients/dukcapil/revoke", {})
    assert response.headers["Location"] == "/admin/clients"
    assert not _signs_in(db, secret, "dukcapil")
    (row,) = page(admin.get("/admin/clients")).cssselect("#client-dukcapil")
    assert row.cssselect(".client-state")[0].text_content().startswith("Dicabut")
    assert not row.cssselect("form[action$=revoke]")
    with db.transaction() as session:
        assert session.query(Event).filter_by(kind="api_client_revoked").one().actor == "admin"


def test_nothing_changes_without_the_pages_csrf_token(visitor, db):
    admin = visitor("admin")
    secret = _secret(_add(admin))
    assert admin.post("/admin/clients/dukcapil/revoke", {}, csrf=False).status_code in (400, 403)
    assert _signs_in(db, secret, "dukcapil")
    assert visitor("admin").post("/admin/clients/nobody/rotate", {}).status_code == 404
