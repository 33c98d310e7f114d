"""Every place a password is set refuses the ones an attacker tries first, saying so under ``password``: self-
registration, an administrator creating an account or resetting a password, ``lincah users add``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main as cli
from engine import demo
from engine.people import passwords
from engine.storage.models import User

# (password, why) for an account called "wargabaru" named "Warga Baru"
WEAK = [
    ("password", passwords.COMMON),
    ("12345678", passwords.COMMON),
    ("qwertyuiop", passwords.COMMON),
    ("wargabaru", passwords.CONTAINS_NAME),
    ("WargaBaru2024", passwords.CONTAINS_NAME),
    ("pendek", passwords.TOO_SHORT),
    ("aaaaaaaaaaaa", passwords.GUESSABLE),
]
STRONG = ["kopi-pagi-di-pasar", "kata-sandi-kuat", demo.PASSWORD, "rahasia-sekali"]


@pytest.mark.parametrize(("password", "why"), WEAK)
def test_the_policy_says_why_a_password_is_refused(password, why):
    assert passwords.problem(password, username="wargabaru", names=("Warga Baru", "warga@example.id")) == why


@pytest.mark.parametrize("password", STRONG)
def test_passphrases_pass_even_when_a_name_occurs_inside_them(password):
    # "andi" is inside "kata-sandi-kuat" by chance; the rest of the passphrase is strong on its own
    assert passwords.problem(password, username="andi", names=("Andi Pratama", None)) is None


@pytest.mark.parametrize(("password", "why"), WEAK)
def test_registering_with_a_weak_password_is_refused_naming_the_field(client, db, password, why):
    response = client.post("/api/v1/auth/register", json={"username": "wargabaru", "password": password,
                                                          "full_name": "Warga Baru"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and set(error["details"]) == {"password"}
    assert error["details"]["password"] == passwords.MESSAGES[why]
    assert "passphrase" in error["details"]["password"] and "password" in error["message"]
    with db.transaction() as session:
        assert session.query(User).filter_by(username="wargabaru").count() == 0


def test_a_weak_password_and_a_bad_username_are_said_together(client):
    response = client.post("/api/v1/auth/register", json={"username": "X Y", "password": "12345678"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"username", "password"}


def test_administrators_cannot_create_or_reset_to_a_weak_password(client, people):
    admin = people.headers("admin")
    created = client.post("/api/v1/users", headers=admin, json={
        "username": "petugas.baru", "password": "petugas.baru", "roles": ["officer"]})
    assert created.status_code == 422
    assert created.get_json()["error"]["details"] == {"password": passwords.MESSAGES[passwords.CONTAINS_NAME]}
    people.headers("andi")
    reset = client.post("/api/v1/users/andi/password", headers=admin, json={"password": "password1"})
    assert reset.status_code == 422
    assert reset.get_json()["error"]["details"] == {"password": passwords.MESSAGES[passwords.COMMON]}
    good = client.post("/api/v1/users/andi/password", headers=admin, json={"password": "sandi-baru-yang-kuat"})
    assert good.status_code in (200, 204)


def test_the_command_line_refuses_a_weak_password(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(cli, ["users", "add", "operator", "--role", "admin", "--password", "12345678"],
                                env=env)
    assert result.exit_code != 0 and "password" in result.output and "common" in result.output
    result = CliRunner().invoke(cli, ["users", "add", "operator", "--role", "admin", "--password",
                                      "kunci-gudang-arsip"], env=env)
    assert result.exit_code == 0, result.output
