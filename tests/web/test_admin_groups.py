"""The administrator keeps the list of groups on a page of its own, over the API and from the command line; account
forms offer only that list and refuse a mistyped group by name."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main as cli
from engine.storage.models import Event, StaffGroup, User
from tests.people import PASSWORD
from tests.web.conftest import page, text_of

pytestmark = pytest.mark.usefixtures("people")


@pytest.fixture
def client_of(app):
    def make(username: str):
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()
        return client, {"Authorization": f"Bearer {token['token']}"}

    return make


def test_an_administrator_adds_renames_and_retires_a_group_on_the_groups_page(visitor, db):
    admin = visitor("admin")
    assert visitor("vera").get("/admin/groups").status_code == 403
    added = admin.post("/admin/groups", {"name": "tim_teknis", "title": "Tim teknis"})
    assert added.status_code == 302
    row = page(admin.get("/admin/groups")).cssselect("#group-tim_teknis")[0]
    assert row.cssselect("input[name=title]")[0].get("value") == "Tim teknis"
    assert row.cssselect(".group-state")[0].text_content() == "Aktif"

    again = admin.post("/admin/groups", {"name": "tim_teknis"})
    assert again.status_code == 422 and "sudah ada dalam daftar" in text_of(again)
    bad = admin.post("/admin/groups", {"name": "Tim Teknis!"})
    assert bad.status_code == 422 and "huruf kecil" in text_of(bad)

    admin.post("/admin/groups/tim_teknis", {"title": "Tim teknis lapangan"})
    assert admin.post("/admin/groups/tim_teknis/retire").status_code == 302
    row = page(admin.get("/admin/groups")).cssselect("#group-tim_teknis")[0]
    assert row.cssselect(".group-state")[0].text_content() == "Dihentikan"
    with db.transaction() as session:
        group = session.get(StaffGroup, "tim_teknis")
        assert group.title == "Tim teknis lapangan" and group.retired_at is not None
        assert [e.kind for e in session.query(Event).filter(Event.kind.like("group_%")).order_by(Event.id)] == [
            "group_added", "group_renamed", "group_retired"]


def test_the_account_form_refuses_a_mistyped_group_and_names_the_one_meant(visitor, db):
    admin = visitor("admin")
    response = admin.post("/admin/users/vera", {"roles": "officer", "other_groups": "verifer",
                                                "jurisdictions": "sulsel", "active": "true"})
    assert response.status_code == 422
    assert "'verifer' (apakah maksud Anda verifier?)" in text_of(response)
    with db.transaction() as session:
        assert session.query(User).filter_by(username="vera").one().groups == ["verifier"]


def test_groups_over_the_api(client_of, db):
    api, headers = client_of("admin")
    created = api.post("/api/v1/groups", headers=headers, json={"name": "tim_teknis", "title": "Tim teknis"})
    assert created.status_code == 201
    assert created.get_json() == {"name": "tim_teknis", "title": "Tim teknis", "retired": False, "members": 0}
    assert api.post("/api/v1/groups", headers=headers, json={"name": "tim_teknis"}).status_code == 409
    renamed = api.patch("/api/v1/groups/tim_teknis", headers=headers, json={"title": "Tim lapangan"})
    assert renamed.get_json()["title"] == "Tim lapangan"
    listed = {g["name"]: g for g in api.get("/api/v1/groups", headers=headers).get_json()["items"]}
    with db.transaction() as session:
        verifiers = sum("verifier" in (u.groups or []) for u in session.query(User).filter_by(active=True))
    assert listed["verifier"]["members"] == verifiers > 0 and "tim_teknis" in listed
    assert api.post("/api/v1/groups/tim_teknis/retire", headers=headers).get_json()["retired"] is True
    refused = api.patch("/api/v1/users/vera", headers=headers, json={"groups": ["verifer"]})
    assert refused.status_code == 422 and "did you mean verifier?" in refused.get_json()["error"]["message"]
    assert api.get("/api/v1/groups", headers=client_of("vera")[1]).status_code == 403


def test_groups_from_the_command_line(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    added = runner.invoke(cli, ["groups", "add", "tim_teknis", "--title", "Tim teknis"], env=env)
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["groups", "list"], env=env)
    assert "tim_teknis" in listed.output and "verifier" in listed.output and "account(s)" in listed.output
    assert runner.invoke(cli, ["groups", "retire", "tim_teknis"], env=env).exit_code == 0
    assert "tim_teknis" not in runner.invoke(cli, ["groups", "list"], env=env).output
    assert "retired" in runner.invoke(cli, ["groups", "list", "--all"], env=env).output
    typo = runner.invoke(cli, ["users", "add", "baru", "--password", "kata-sandi-yang-panjang-1", "--role",
                               "officer", "--group", "verifer"], env=env)
    assert typo.exit_code != 0 and "did you mean verifier?" in typo.output
