"""The pages' side of issue 14: the session cookie opens the pages and nothing else; sign-in, registration, uploads
and the public permit check are rate limited with a page that says how long to wait; weak passwords are refused
next to the password field."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import text

from api import create_app
from engine.config import Settings
from engine.context import EngineContext
from engine.storage.db import make_engine, upgrade
from engine.storage.models import ApiToken, User
from tests.web.conftest import Visitor, document, page, text_of

DEFAULTS = Settings()


@pytest.fixture
def app_with(db, ctx):
    def make(**changes):
        context = EngineContext(settings=dataclasses.replace(ctx.settings, **changes), clock=ctx.clock,
                                script_engine=ctx.script_engine)
        return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=context, session_factory=db.factory)

    return make


def _amount(limit: str) -> int:
    return int(limit.split(";")[0].split()[0])


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _cookie_values(app, client) -> list[str]:
    """Everything an onlooker can read from the browser's session cookie: it is signed, not encrypted."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "signing in sets the session cookie"
    decoded = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return [cookie.value, *_strings(decoded)]


def test_nothing_in_the_session_cookie_works_as_an_api_bearer_token(app, visitor, people, db):
    person = visitor("vera")
    assert person.get("/inbox").status_code == 200
    values = _cookie_values(app, person.client)
    assert len(values) >= 3
    api = app.test_client()
    for value in values:
        response = api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401, f"the cookie's {value[:8]}… opened the API"
    with db.transaction() as session:
        (row,) = session.query(ApiToken).filter(ApiToken.label == "web").all()
        assert row.kind == "web"


def test_an_api_token_put_into_the_cookie_does_not_open_the_pages(app, people, db):
    """The two kinds stay apart both ways: a bearer token is no web session either."""
    api = app.test_client()
    token = api.post("/api/v1/auth/token", json={"username": "vera", "password": "rahasia-sekali"}).get_json()["token"]
    person = Visitor(app.test_client())
    with person.client.session_transaction() as cookie:
        cookie["token"] = token
    assert person.get("/inbox").headers["Location"].startswith("/signin")


def test_a_password_reset_ends_the_web_session(visitor, people, db):
    person = visitor("andi")
    assert person.get("/applications").status_code == 200
    admin = visitor("admin").english()
    response = admin.post("/admin/users/andi/password", {"password": "sandi-baru-yang-kuat"})
    assert response.status_code == 302
    assert person.get("/applications").status_code == 302


def test_spraying_sign_ins_from_one_address_gets_a_page_saying_how_long_to_wait(visitor, people):
    """Default numbers."""
    person = visitor().english()
    allowed = _amount(DEFAULTS.limit_signin_failures_per_address)
    for i in range(allowed):
        response = person.post("/signin", {"username": f"korban{i}", "password": "password123"})
        assert response.status_code == 422
    response = person.post("/signin", {"username": "korban-lain", "password": "password123"})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    text = text_of(response)
    assert "Too many failed sign-ins came from your network." in text
    assert re.search(r"Wait \d+ seconds, then try again\.", text)
    assert page(response).cssselect("h1")[0].text_content().strip() == "Too many attempts"
    # the sign-in form itself still shows: only sending it is limited
    assert person.get("/signin").status_code == 200


def test_the_wait_is_said_in_indonesian_on_indonesian_pages(app_with, people):
    person = Visitor(app_with(limit_signin_failures_per_address="1 per minute").test_client())
    assert person.post("/signin", {"username": "andi", "password": "salah-sekali"}).status_code == 422
    response = person.post("/signin", {"username": "andi", "password": "salah-sekali"})
    assert response.status_code == 429
    assert re.search(r"Tunggu \d+ detik, lalu coba lagi\.", text_of(response))


def test_registration_from_the_pages_and_the_api_share_one_limit(app_with, db):
    app = app_with(limit_register_per_address="2 per hour")
    api = app.test_client()
    assert api.post("/api/v1/auth/register", json={"username": "warga1", "password": "kopi-pagi-di-pasar"}
                    ).status_code == 201
    person = Visitor(app.test_client()).english()
    response = person.post("/register", {"full_name": "Warga Dua", "username": "warga2",
                                         "password": "kopi-pagi-di-pasar"})
    assert response.status_code == 302
    response = Visitor(app.test_client()).english().post(
        "/register", {"full_name": "Warga Tiga", "username": "warga3", "password": "kopi-pagi-di-pasar"})
    assert response.status_code == 429
    assert "Too many accounts were registered from your network." in text_of(response)
    assert re.search(r"Wait \d+ minutes, then try again\.", text_of(response))
    with db.transaction() as session:
        assert session.query(User).filter_by(username="warga3").count() == 0


def test_the_pages_upload_answers_its_script_in_json_when_limited(app_with, people):
    app = app_with(limit_upload_per_account="2 per minute")
    person = Visitor(app.test_client()).english()
    person.sign_in("andi")
    for _ in range(2):
        assert person.post("/files", {"file": document()}).status_code == 201
    response = person.post("/files", {"file": document()})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.get_json()["error"].startswith("You uploaded many documents in a short time. Wait ")
    other = Visitor(app.test_client())
    other.sign_in("budi")
    assert other.post("/files", {"file": document()}).status_code == 201


def test_the_public_permit_check_is_limited_per_address(app, visitor):
    """Default numbers."""
    allowed = _amount(DEFAULTS.limit_permit_check_per_address)
    person = visitor().english()
    for i in range(allowed):
        assert person.get(f"/permits/check/tebakan-{i}").status_code == 404
    response = person.get("/permits/check/tebakan-lagi")
    assert response.status_code == 429
    assert "Too many permits were checked from your network." in text_of(response)
    other = app.test_client()
    assert other.get("/permits/check/tebakan-lagi", environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 404


@pytest.mark.parametrize("password", ["password", "12345678", "wargabaru", "Wargabaru2024"])
def test_registering_with_a_weak_password_is_refused_at_the_password_field(visitor, db, password):
    person = visitor().english()
    response = person.post("/register", {"full_name": "Warga Baru", "username": "wargabaru", "password": password})
    assert response.status_code == 422
    message = page(response).cssselect("#f-password-error")[0].text_content()
    assert "passphrase" in message and ("common" in message or "username" in message or "guess" in message)
    with db.transaction() as session:
        assert session.query(User).filter_by(username="wargabaru").count() == 0


def test_an_administrator_cannot_reset_a_password_to_a_common_one(visitor, people, db):
    with db.transaction() as session:
        before = session.query(User).filter_by(username="andi").one().password_hash
    admin = visitor("admin").english()
    response = admin.post("/admin/users/andi/password", {"password": "12345678"})
    assert response.status_code == 302
    shown = text_of(admin.get(response.headers["Location"]))
    assert "one of the most common ones" in shown
    with db.transaction() as session:
        assert session.query(User).filter_by(username="andi").one().password_hash == before


def test_an_administrator_creating_an_account_gets_the_policy_at_the_password_field(visitor, people, db):
    admin = visitor("admin").english()
    response = admin.post("/admin/users/new", {"username": "petugas.baru", "password": "petugas.baru",
                                               "roles": "officer"})
    assert response.status_code == 422
    assert "username" in page(response).cssselect("#f-password-error")[0].text_content()



def test_migration_0007_keeps_page_sessions_as_web_sessions_and_api_tokens_as_they_were(tmp_path):
    """Rows the pages issued before 0007 (label 'web') sit in cookies: they become web sessions, so people stay
    signed in and a copied cookie stops opening the API; every other token stays an API token."""
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0006")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO user_account (id, username, password_hash, full_name, roles, groups, "
                          "jurisdictions, active, created_at) VALUES (1, 'andi', 'x', 'Andi', '[]', '[]', '[]', 1, "
                          "'2026-06-02 01:00:00')"))
        for token_id, label in ((1, "web"), (2, "register"), (3, "")):
            conn.execute(text("INSERT INTO api_token (id, token_hash, user_id, label, created_at, expires_at) "
                              "VALUES (:id, :hash, 1, :label, '2026-06-02 01:00:00', '2026-07-02 01:00:00')"),
                         {"id": token_id, "hash": f"{token_id:064d}", "label": label})
    upgrade(url)
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT label, kind FROM api_token")).all())
    engine.dispose()
    assert kinds == {"web": "web", "register": "api", "": "api"}
