"""Forgot password over the JSON API (issue 18): a link by e-mail (a real SMTP server on 127.0.0.1) or a code by SMS
(a fake gateway on 127.0.0.1), the same 202 whatever happened, the confirmation with a token or a code, 422 naming
the field for a weak password, a wrong code or a bad body, and the per-address limit shared with the pages."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from api import create_app
from engine.context import EngineContext
from engine.storage.models import ApiToken, Event
from tests.password_reset_fixtures import (
    NEW_PASSWORD,
    PUBLIC_URL,
    arrived,
    gateway_fixture,  # noqa: F401 - the fixture
    mail_server_fixture,  # noqa: F401 - the fixture
)
from tests.people import PASSWORD, account

PHONE = "+6281234567890"


@pytest.fixture
def reset_client(db, ctx, clock, mail_server, gateway):
    with db.transaction() as session:
        andi = account("andi", ["applicant"])
        andi.email, andi.phone = "andi@example.ac.id", PHONE
        session.add(andi)
    _mailbox, port = mail_server
    settings = replace(ctx.settings, smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC_URL,
                       sms_gateway_url=gateway.url, limit_password_reset_per_address="12 per minute")
    app = create_app({"TESTING": True}, context=EngineContext(settings=settings, clock=clock),
                     session_factory=db.factory)
    return app.test_client()


def _signin(client, password: str) -> int:
    return client.post("/api/v1/auth/token", json={"username": "andi", "password": password}).status_code


def test_a_code_by_sms_sets_a_new_password_and_signs_out_everywhere(db, reset_client, gateway):
    old = reset_client.post("/api/v1/auth/token", json={"username": "andi", "password": PASSWORD})
    assert old.status_code == 200
    known = reset_client.post("/api/v1/password-reset", json={"phone": "0812 3456 7890"})
    unknown = reset_client.post("/api/v1/password-reset", json={"phone": "0813 0000 1111"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json() and known.get_json()["by"] == "phone"
    (sms,) = [request.body for request in arrived(gateway.received, 1)]
    code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)
    assert sms["to"] == PHONE

    missing = reset_client.post("/api/v1/password-reset/confirm", json={"code": code, "password": NEW_PASSWORD})
    assert missing.status_code == 422 and "phone" in missing.get_json()["error"]["details"]
    weak = reset_client.post("/api/v1/password-reset/confirm",
                             json={"phone": "andi", "code": code, "password": "andi1234"})
    assert weak.status_code == 422 and list(weak.get_json()["error"]["details"]) == ["password"]
    wrong = reset_client.post("/api/v1/password-reset/confirm",
                              json={"phone": "andi", "code": "999999" if code != "999999" else "888888",
                                    "password": NEW_PASSWORD})
    assert wrong.status_code == 422 and list(wrong.get_json()["error"]["details"]) == ["code"]
    done = reset_client.post("/api/v1/password-reset/confirm",
                             json={"phone": PHONE, "code": code, "password": NEW_PASSWORD})
    assert done.status_code == 204
    again = reset_client.post("/api/v1/password-reset/confirm",
                              json={"phone": PHONE, "code": code, "password": "another-long-phrase-1"})
    assert again.status_code == 422, "a code works once"
    token = old.get_json()["token"]
    assert reset_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _signin(reset_client, NEW_PASSWORD) == 200
    with db.transaction() as session:
        (reset,) = session.query(Event).filter_by(kind="password_reset").all()
        assert reset.data["via"] == "sms"
        assert session.query(ApiToken).filter(ApiToken.revoked_at.is_(None)).count() == 1  # the new sign-in
        # The wrong code's try was kept although its answer was an error.
        assert session.query(Event).filter_by(kind="password_reset_code_refused").count() == 2


def test_a_link_by_e_mail_and_its_token(db, reset_client, mail_server):
    mailbox, _port = mail_server
    asked = reset_client.post("/api/v1/password-reset", json={"email": "andi@example.ac.id"})
    stranger = reset_client.post("/api/v1/password-reset", json={"email": "nobody@example.com"})
    assert asked.status_code == stranger.status_code == 202 and asked.get_json() == stranger.get_json()
    arrived(mailbox.received, 1)
    (message,) = mailbox.messages()
    token = re.search(r"/reset-password/(\S+)", message.get_content()).group(1)
    weak = reset_client.post("/api/v1/password-reset/confirm", json={"token": token, "password": "12345678"})
    assert weak.status_code == 422 and list(weak.get_json()["error"]["details"]) == ["password"]
    assert reset_client.post("/api/v1/password-reset/confirm",
                             json={"token": token, "password": NEW_PASSWORD}).status_code == 204
    used = reset_client.post("/api/v1/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert used.status_code == 422 and list(used.get_json()["error"]["details"]) == ["token"]
    assert _signin(reset_client, NEW_PASSWORD) == 200


@pytest.mark.parametrize("body, field", [
    ({}, "email"),
    ({"email": "a@b.id", "phone": "0812"}, "email"),
    ({"phone": "x" * 101}, "phone"),
])
def test_a_request_names_what_is_wrong(reset_client, body, field):
    answer = reset_client.post("/api/v1/password-reset", json=body)
    assert answer.status_code == 422 and field in answer.get_json()["error"]["details"]


def test_without_a_gateway_a_phone_request_says_to_use_e_mail(db, client):
    answer = client.post("/api/v1/password-reset", json={"phone": "0812 3456 7890"})
    assert answer.status_code == 422
    assert "e-mail" in answer.get_json()["error"]["details"]["phone"]


def test_requests_and_confirmations_share_the_per_address_limit(reset_client):
    answers = [reset_client.post("/api/v1/password-reset", json={"email": f"x{i}@example.com"}).status_code
               for i in range(6)]
    answers += [reset_client.post("/api/v1/password-reset/confirm",
                                  json={"phone": "andi", "code": "123456", "password": NEW_PASSWORD}).status_code
                for _ in range(7)]
    assert answers[:6] == [202] * 6 and answers[-1] == 429 and answers.count(429) == 1


def test_the_openapi_document_describes_both_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/password-reset", "/api/v1/password-reset/confirm"} <= set(spec["paths"])
    confirm = spec["paths"]["/api/v1/password-reset/confirm"]["post"]
    assert "204" in confirm["responses"] and "422" in confirm["responses"]
    assert "password" in confirm["description"] and "PasswordResetConfirm" in str(confirm["requestBody"])
