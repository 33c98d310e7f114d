"""Administrators manage accounts; nobody else can."""

from __future__ import annotations

import pytest

from tests.people import PASSWORD


def _login(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_admin_creates_lists_reads_and_updates_users(client, people):
    admin = people.headers("admin")
    created = client.post("/api/v1/users", headers=admin, json={
        "username": "petugas.bone", "password": "kata-sandi-awal", "full_name": "Petugas Bone",
        "roles": ["officer"], "groups": ["regency_fisheries"], "jurisdictions": ["bone"]})
    assert created.status_code == 201
    assert created.get_json()["jurisdictions"] == ["bone"] and created.get_json()["active"] is True
    assert _login(client, "petugas.bone", "kata-sandi-awal").status_code == 200

    listed = client.get("/api/v1/users?role=officer", headers=admin).get_json()
    assert [u["username"] for u in listed["items"]] == ["petugas.bone"] and listed["total"] == 1
    assert client.get("/api/v1/users?q=bone", headers=admin).get_json()["total"] == 1
    assert client.get("/api/v1/users/petugas.bone", headers=admin).get_json()["full_name"] == "Petugas Bone"

    moved = client.patch("/api/v1/users/petugas.bone", headers=admin, json={
        "roles": ["officer", "supervisor"], "groups": ["regency_fisheries", "verifier"],
        "jurisdictions": ["bone", "sinjai"]})
    assert moved.status_code == 200
    body = moved.get_json()
    assert body["roles"] == ["officer", "supervisor"] and body["jurisdictions"] == ["bone", "sinjai"]
    assert body["groups"] == ["regency_fisheries", "verifier"]


def test_deactivating_a_user_revokes_their_tokens_and_blocks_sign_in(client, people):
    vera = people.headers("vera")
    admin = people.headers("admin")
    assert client.get("/api/v1/auth/me", headers=vera).status_code == 200
    off = client.patch("/api/v1/users/vera", headers=admin, json={"active": False})
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=vera).status_code == 401
    assert _login(client, "vera", PASSWORD).status_code == 401
    assert client.get("/api/v1/users?active=false", headers=admin).get_json()["items"][0]["username"] == "vera"


def test_password_reset_revokes_tokens_and_sets_the_new_password(client, people):
    vera = people.headers("vera")
    admin = people.headers("admin")
    reset = client.post("/api/v1/users/vera/password", headers=admin, json={"password": "sandi-baru-123"})
    assert reset.status_code == 204 and reset.data == b""
    assert client.get("/api/v1/auth/me", headers=vera).status_code == 401
    assert _login(client, "vera", PASSWORD).status_code == 401
    assert _login(client, "vera", "sandi-baru-123").status_code == 200
    short = client.post("/api/v1/users/vera/password", headers=admin, json={"password": "pendek"})
    assert short.status_code == 422 and "password" in short.get_json()["error"]["details"]


def test_invalid_and_duplicate_users_are_rejected(client, people):
    admin = people.headers("admin")
    bad = client.post("/api/v1/users", headers=admin, json={"username": "Bad Name", "password": "x",
                                                            "roles": ["wizard"]})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["details"]) == {"username", "password", "roles"}
    bad_office = client.post("/api/v1/users", headers=admin, json={
        "username": "ok.name", "password": "panjang-sekali", "roles": ["officer"], "jurisdictions": ["Sin Jai!"]})
    assert bad_office.status_code == 422 and "jurisdictions" in bad_office.get_json()["error"]["details"]
    people.headers("vera")
    dup = client.post("/api/v1/users", headers=admin, json={"username": "vera", "password": "panjang-sekali",
                                                            "roles": ["officer"]})
    assert dup.status_code == 409
    assert client.get("/api/v1/users/nobody", headers=admin).status_code == 404
    assert client.patch("/api/v1/users/vera", headers=admin, json={"roles": ["wizard"]}).status_code == 422


def test_admins_cannot_lock_themselves_out(client, people):
    admin = people.headers("admin")
    assert client.patch("/api/v1/users/admin", headers=admin, json={"active": False}).status_code == 422
    assert client.patch("/api/v1/users/admin", headers=admin, json={"roles": ["officer"]}).status_code == 422
    assert client.get("/api/v1/auth/me", headers=admin).status_code == 200


@pytest.mark.parametrize("who", ["andi", "vera", "supri", "analis", "manajer"])
def test_only_admins_manage_users(client, people, who):
    headers = people.headers(who)
    people.headers("budi")
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.get("/api/v1/users/budi", headers=headers).status_code == 403
    assert client.post("/api/v1/users", headers=headers, json={
        "username": "x1", "password": "panjang-sekali", "roles": ["admin"]}).status_code == 403
    assert client.patch("/api/v1/users/budi", headers=headers, json={"roles": ["admin"]}).status_code == 403
    assert client.post("/api/v1/users/budi/password", headers=headers,
                       json={"password": "panjang-sekali"}).status_code == 403
