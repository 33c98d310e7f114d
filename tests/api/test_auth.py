"""Signing in, tokens, revocation, throttling and self-registration."""

from __future__ import annotations

from datetime import timedelta

from engine.storage.models import ApiToken, User
from tests.api.conftest import add_user
from tests.people import PASSWORD


def _login(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_right_credentials_give_a_token_that_works_and_is_stored_only_hashed(client, db):
    add_user(db, "andi", ["applicant"], full_name="Andi Pratama")
    response = _login(client, "andi")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["username"] == "andi" and body["user"]["roles"] == ["applicant"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["full_name"] == "Andi Pratama"
    with db.transaction() as session:
        stored = [t.token_hash for t in session.query(ApiToken)]
    assert len(stored) == 1 and body["token"] not in stored[0] and len(stored[0]) == 64


def test_wrong_password_and_unknown_user_both_answer_401_in_the_error_shape(client, db):
    add_user(db, "andi", ["applicant"])
    for username, password in (("andi", "wrong-password"), ("nobody", PASSWORD)):
        response = _login(client, username, password)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert "token" not in response.get_json()


def test_calls_without_a_valid_token_are_401_with_a_bearer_challenge(client):
    for headers in ({}, {"Authorization": "Bearer lct_forged"}, {"Authorization": "Basic YTpi"}):
        response = client.get("/api/v1/applications", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert set(response.get_json()["error"]) == {"code", "message", "details"}


def test_a_revoked_token_stops_working_but_others_of_the_same_user_do_not(client, db):
    add_user(db, "andi", ["applicant"])
    first = _login(client, "andi").get_json()["token"]
    second = _login(client, "andi").get_json()["token"]
    assert client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {first}"}).status_code == 204
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_tokens_expire(client, db, clock):
    add_user(db, "andi", ["applicant"])
    token = _login(client, "andi").get_json()["token"]
    clock.advance(timedelta(days=31))
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.get_json()["error"]["message"]


def test_repeated_failures_lock_the_username_from_that_address_with_growing_pauses(client, db, clock):
    add_user(db, "andi", ["applicant"])
    for _ in range(5):
        assert _login(client, "andi", "wrong-password").status_code == 401
    locked = _login(client, "andi")  # even the right password is refused while locked
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_attempts"
    assert locked.headers["Retry-After"] == "60"
    assert _login(client, "andi", address="10.0.0.2").status_code == 200  # another address is not locked

    clock.advance(timedelta(seconds=61))
    assert _login(client, "andi", "wrong-password").status_code == 401  # sixth failure: two minutes now
    assert _login(client, "andi").headers["Retry-After"] == "120"
    clock.advance(timedelta(seconds=121))
    assert _login(client, "andi").status_code == 200
    # A success clears the counter: the next failure does not lock.
    assert _login(client, "andi", "wrong-password").status_code == 401
    assert _login(client, "andi").status_code == 200


def test_inactive_users_cannot_sign_in(client, db):
    add_user(db, "andi", ["applicant"], active=False)
    assert _login(client, "andi").status_code == 401


def test_register_creates_an_applicant_account_and_signs_in(client, db):
    response = client.post("/api/v1/auth/register", json={"username": "siti", "password": "panjang-sekali",
                                                          "full_name": "Siti Aminah", "email": "siti@example.id"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["roles"] == ["applicant"] and body["user"]["groups"] == []
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200
    assert _login(client, "siti", "panjang-sekali").status_code == 200


def test_register_cannot_grant_staff_roles_or_reuse_a_username(client, db):
    escalate = client.post("/api/v1/auth/register", json={"username": "eve", "password": "panjang-sekali",
                                                         "roles": ["admin"]})
    assert escalate.status_code == 422 and "roles" in escalate.get_json()["error"]["details"]
    with db.transaction() as session:
        assert session.query(User).filter_by(username="eve").count() == 0
    client.post("/api/v1/auth/register", json={"username": "siti", "password": "panjang-sekali"})
    again = client.post("/api/v1/auth/register", json={"username": "siti", "password": "lain-lagi-dong"})
    assert again.status_code == 409


def test_register_rejects_weak_input_per_field(client):
    response = client.post("/api/v1/auth/register", json={"username": "X Y", "password": "short"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"username", "password"}
