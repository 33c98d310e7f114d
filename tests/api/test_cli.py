"""``lincah demo`` builds a living office, safely re-runnable; ``lincah serve`` is exercised by the race test."""

from __future__ import annotations

from click.testing import CliRunner

from api import create_app
from api.cli import main as cli
from engine import demo
from engine.config import Settings
from engine.context import EngineContext
from engine.storage.models import Instance, User


def test_demo_creates_people_services_and_applications_once(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    first = runner.invoke(cli, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "lincah-demo" in first.output and "petugas.bone" in first.output
    assert "fishery_business_permit v1" in first.output and "dukcapil-demo, bank-demo" in first.output
    second = runner.invoke(cli, ["demo"], env=env)
    assert second.exit_code == 0, second.output
    assert "already there" in second.output and "new: none" in second.output
    with db.transaction() as session:
        assert session.query(User).count() == len(demo.USERS)
        assert session.query(Instance).count() == 7

    app = create_app({"TESTING": True}, context=EngineContext(
        settings=Settings(database_url=db.url, instance_path=tmp_path / "instance")), session_factory=db.factory)
    client = app.test_client()

    def headers(username):
        response = client.post("/api/v1/auth/token", json={"username": username, "password": demo.PASSWORD})
        assert response.status_code == 200, username
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    def inbox(username):
        items = client.get("/api/v1/tasks", headers=headers(username)).get_json()["items"]
        return sorted((t["element_id"], t["jurisdiction"]) for t in items)

    assert inbox("verifikator") == [("Task_Verify", "sulsel")]
    assert inbox("kepala.dinas") == [("Task_Sign", "sulsel")]
    assert inbox("penelaah") == [("Task_Review", "sulsel")]
    assert inbox("petugas.sinjai") == [("Task_Recommend", "sinjai")]
    assert inbox("petugas.bone") == [("Task_Inspect", "bone")]
    assert inbox("pemohon") == [("Task_Revise", "sulsel")]
    statuses = [a["status"] for a in client.get("/api/v1/applications", headers=headers("pemohon")).get_json()[
        "items"]]
    assert sorted(statuses) == ["completed", "running", "running", "running"]
    document = client.get("/api/v1/applications", headers=headers("nelayan")).get_json()["items"][0]
    detail = client.get(f"/api/v1/applications/{document['id']}", headers=headers("nelayan")).get_json()
    pdf = client.get(f"/api/v1/attachments/{detail['data']['ktp']['id']}", headers=headers("nelayan"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert client.get("/api/v1/users", headers=headers("admin")).get_json()["total"] == len(demo.USERS)


def test_deploy_bundled_deploys_the_services_that_come_with_lincah_and_no_path_says_what_to_give(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    nothing = runner.invoke(cli, ["deploy"], env=env)
    assert nothing.exit_code == 2 and "--bundled" in nothing.output
    bundled = runner.invoke(cli, ["deploy", "--bundled"], env=env)
    assert bundled.exit_code == 0, bundled.output
    assert "deployed research_permit version 1 (published)" in bundled.output
    assert "deployed fishing_vessel_permit version 1 (published)" in bundled.output
