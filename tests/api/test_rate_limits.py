"""Throttling an attacker without locking real people out: sign-in per address and per account, registration,
uploads; client addresses read through a configured number of trusted proxies.

Tests marked "default numbers" run with the limits an installation gets out of the box (engine.config); the others
lower one limit to keep the run short.
"""

from __future__ import annotations

import dataclasses
import io

import pytest

from api import create_app
from engine.config import Settings
from engine.context import EngineContext
from engine.storage.models import LoginFailure
from tests.api.conftest import add_user
from tests.people import PASSWORD, PDF

DEFAULTS = Settings()


@pytest.fixture
def app_with(db, ctx):
    """An app whose settings differ from the test's in ``changes`` (limits, trusted proxies)."""

    def make(**changes):
        context = EngineContext(settings=dataclasses.replace(ctx.settings, **changes), clock=ctx.clock,
                                script_engine=ctx.script_engine)
        return create_app({"TESTING": True}, context=context, session_factory=db.factory)

    return make


def _login(client, username, password=PASSWORD, address="10.0.0.1", **headers):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def _amount(limit: str) -> int:
    """The first number of a limit such as '20 per minute;200 per hour'."""
    return int(limit.split(";")[0].split()[0])


def _assert_429(response, code="too_many_attempts"):
    assert response.status_code == 429, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["code"] == code
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 3600 and body["error"]["details"]["retry_after"] == wait
    assert f"Wait {wait} seconds" in body["error"]["message"]
    return body


def test_spraying_one_password_over_many_usernames_from_one_address_is_stopped(client, db):
    """Default numbers: no account reaches its own 5 failures, but the address reaches its limit of failures."""
    add_user(db, "andi", ["applicant"])
    allowed = _amount(DEFAULTS.limit_signin_failures_per_address)
    answers = [_login(client, f"korban{i}", "password123") for i in range(100)]
    statuses = [a.status_code for a in answers]
    assert statuses[:allowed] == [401] * allowed
    assert set(statuses[allowed:]) == {429}
    body = _assert_429(answers[allowed])
    assert "your network" in body["error"]["message"]
    # The limit is the spraying address's: the same person elsewhere signs in, and counts from there are untouched.
    assert _login(client, "andi", address="10.0.0.2").status_code == 200


def test_an_address_spraying_with_forged_forwarded_for_headers_is_still_one_address(client, db):
    """Without trusted proxies (the default) X-Forwarded-For is ignored: a client cannot pick its own address."""
    allowed = _amount(DEFAULTS.limit_signin_failures_per_address)
    for i in range(allowed):
        response = _login(client, f"korban{i}", "password123", **{"X-Forwarded-For": f"198.51.100.{i}"})
        assert response.status_code == 401
    _assert_429(_login(client, "korban-lain", "password123", **{"X-Forwarded-For": "198.51.100.250"}))


def test_without_trusted_proxies_the_lockout_is_keyed_on_the_peer_address(client, db):
    add_user(db, "andi", ["applicant"])
    for i in range(5):
        assert _login(client, "andi", "salah-sekali", **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code == 401
    assert _login(client, "andi", **{"X-Forwarded-For": "198.51.100.99"}).status_code == 429
    with db.transaction() as session:
        assert [row.address for row in session.query(LoginFailure)] == ["10.0.0.1"]


def test_behind_one_trusted_proxy_two_clients_are_throttled_separately(app_with, db):
    """Behind nginx every request comes from 127.0.0.1: five wrong passwords from client A must not lock the
    account for client B."""
    client = app_with(trusted_proxies=1).test_client()
    add_user(db, "andi", ["applicant"])

    def via_proxy(client_address, password=PASSWORD):
        return _login(client, "andi", password, address="127.0.0.1", **{"X-Forwarded-For": client_address})

    for _ in range(5):
        assert via_proxy("203.0.113.5", "salah-sekali").status_code == 401
    assert via_proxy("203.0.113.5").status_code == 429  # A is locked out, even with the right password
    assert via_proxy("203.0.113.6").status_code == 200  # B is not
    # Only the last hop is believed: a client's own X-Forwarded-For in front of nginx's entry does not help it.
    assert via_proxy("10.9.9.9, 203.0.113.5").status_code == 429
    with db.transaction() as session:
        assert [row.address for row in session.query(LoginFailure)] == ["203.0.113.5"]


def test_many_addresses_guessing_one_account_hit_the_account_limit_but_not_other_accounts(client, db):
    """Default numbers: each address stays under its own lock-out (5), together they reach the account's limit."""
    add_user(db, "andi", ["applicant"])
    add_user(db, "budi", ["applicant"])
    allowed = _amount(DEFAULTS.limit_signin_failures_per_account)
    assert allowed >= 5 * 5, "locking a real person out must take several addresses"
    tries = 0
    for address in range(allowed // 4 + 1):
        for _ in range(4):
            if tries < allowed:
                assert _login(client, "andi", "salah-sekali", address=f"10.1.{address}.1").status_code == 401
                tries += 1
    body = _assert_429(_login(client, "andi", address="10.2.0.1"))
    assert "this account" in body["error"]["message"]
    assert _login(client, "budi", address="10.2.0.1").status_code == 200


def test_signing_in_correctly_does_not_count_as_a_failure(client, db):
    add_user(db, "andi", ["applicant"])
    for _ in range(_amount(DEFAULTS.limit_signin_failures_per_address) + 5):
        assert _login(client, "andi").status_code == 200


def test_all_sign_in_attempts_of_an_address_are_bounded(app_with, db):
    """Each attempt costs a password hash: even successful ones are limited per address."""
    client = app_with(limit_signin_per_address="3 per minute").test_client()
    add_user(db, "andi", ["applicant"])
    for _ in range(3):
        assert _login(client, "andi").status_code == 200
    _assert_429(_login(client, "andi"))
    assert _login(client, "andi", address="10.0.0.7").status_code == 200


def _register(client, username, address):
    return client.post("/api/v1/auth/register", json={"username": username, "password": "kopi-pagi-di-pasar"},
                       environ_base={"REMOTE_ADDR": address})


def test_registration_is_limited_per_address(client):
    """Default numbers."""
    allowed = _amount(DEFAULTS.limit_register_per_address)
    for i in range(allowed):
        response = _register(client, f"warga{i}", "10.0.0.3")
        assert response.status_code == 201, response.get_json()
    _assert_429(_register(client, "warga-lagi", "10.0.0.3"))
    assert _register(client, "warga-lagi", "10.0.0.4").status_code == 201


def _upload(client, headers, address="10.0.0.1"):
    return client.post("/api/v1/attachments", headers=headers, data={"file": (io.BytesIO(PDF), "surat.pdf")},
                       content_type="multipart/form-data", environ_base={"REMOTE_ADDR": address})


def test_uploads_are_limited_per_account(client, people):
    """Default numbers."""
    andi, budi = people.headers("andi"), people.headers("budi")
    allowed = _amount(DEFAULTS.limit_upload_per_account)
    for i in range(allowed):
        assert _upload(client, andi, address=f"10.3.{i % 3}.1").status_code == 201
    _assert_429(_upload(client, andi, address="10.3.9.1"))  # another address does not reset the account's count
    assert _upload(client, budi).status_code == 201


def test_uploads_are_limited_per_address(app_with, people):
    client = app_with(limit_upload_per_address="3 per minute").test_client()
    andi, budi = people.headers("andi"), people.headers("budi")
    for headers in (andi, andi, budi):
        assert _upload(client, headers).status_code == 201
    _assert_429(_upload(client, budi))
    assert _upload(client, budi, address="10.0.0.9").status_code == 201


def test_a_limit_that_does_not_parse_stops_the_start(app_with):
    with pytest.raises(ValueError, match="LINCAH_LIMIT_UPLOAD_PER_ACCOUNT"):
        app_with(limit_upload_per_account="lots")
