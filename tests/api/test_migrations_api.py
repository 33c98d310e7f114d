"""The migration endpoints and ``lincah migrate``: an analyst moves running research-permit applications to a new
version (the verification step renamed, an SLA changed) and they go on from the same step with the same task."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main
from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from tests.api.conftest import apply, complete, open_task
from tests.conftest import PROJECT_ROOT
from tests.samples import VERIFIED

BPMN = PROJECT_ROOT / "processes" / "research_permit.bpmn"


@pytest.fixture
def second_version(db, ctx, deployed):
    _deploy_second_version(db, ctx)


def _deploy_second_version(db, ctx) -> None:
    """Version 2 of the research permit: the verification step has a new name; nothing else moved."""
    changed = BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
    assert changed != BPMN.read_text()
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(BPMN.name, changed.encode()), [],
                           definitions.form_source(ctx, BPMN), actor="analis")


def _started(client, people, count: int = 2) -> list[dict]:
    return [apply(client, people.headers("andi"), "research_permit") for _ in range(count)]


def test_an_analyst_plans_dry_runs_and_moves_applications_which_go_on_with_the_same_task(client, people, db, ctx,
                                                                                        deployed):
    first, second = _started(client, people)
    vera = people.headers("vera")
    task_before = open_task(client, vera, first["id"], "Task_Verify")
    analyst = people.headers("analis")
    _deploy_second_version(db, ctx)
    plan = client.get("/api/v1/definitions/research_permit/migration/plan?from=1&to=2", headers=analyst)
    assert plan.status_code == 200
    assert plan.get_json()["mapping"]["Task_Verify"] == "Task_Verify"
    assert plan.get_json()["open_steps"] == {"Task_Verify": 2}
    dry = client.post("/api/v1/definitions/research_permit/migration/dry-run", headers=analyst,
                      json={"from": 1, "to": 2})
    assert dry.status_code == 200, dry.get_json()
    assert (dry.get_json()["movable"], dry.get_json()["total"]) == (2, 2)
    assert dry.get_json()["by_step"]["Task_Verify"] == {"movable": 2, "blocked": 0}
    moved = client.post("/api/v1/definitions/research_permit/migration", headers=analyst,
                        json={"from": 1, "to": 2, "note": "Nama langkah baru", "limit": 1})
    assert moved.status_code == 200 and moved.get_json()["moved"] == [first["id"]]
    assert moved.get_json()["remaining"] == 1
    again = client.post("/api/v1/definitions/research_permit/migration", headers=analyst, json={"from": 1, "to": 2})
    assert again.get_json()["moved"] == [second["id"]] and again.get_json()["remaining"] == 0
    task_after = open_task(client, vera, first["id"], "Task_Verify")
    assert task_after["id"] == task_before["id"] and task_after["name"] == "Verifikasi dokumen"
    assert task_after["due_at"] == task_before["due_at"]
    detail = client.get(f"/api/v1/applications/{first['id']}", headers=people.headers("andi")).get_json()
    assert detail["version"] == 2
    # Rolled back while nothing happened; refused once the verifier worked on it.
    back = client.post(f"/api/v1/applications/{first['id']}/migration/rollback", headers=analyst)
    assert back.status_code == 200 and back.get_json()["version"] == 1
    assert open_task(client, vera, first["id"], "Task_Verify")["name"] == "Verifikasi berkas"
    assert client.post(f"/api/v1/applications/{first['id']}/migration/rollback", headers=analyst).status_code == 409
    worked = complete(client, vera, open_task(client, vera, second["id"], "Task_Verify")["id"], VERIFIED, "Setujui")
    assert worked.status_code == 200, worked.get_json()
    moved_on = client.post(f"/api/v1/applications/{second['id']}/migration/rollback", headers=analyst)
    assert moved_on.status_code == 409 and "moved on" in moved_on.get_json()["error"]["message"]


def test_a_plan_naming_elements_the_versions_lack_is_422_by_name_and_officers_are_refused(client, people, deployed,
                                                                                          second_version):
    analyst = people.headers("analis")
    bad = client.post("/api/v1/definitions/research_permit/migration/dry-run", headers=analyst,
                      json={"from": 1, "to": 2, "mapping": {"Task_Verify": "Task_Nowhere"}})
    assert bad.status_code == 422 and "mapping.Task_Verify" in str(bad.get_json())
    same = client.post("/api/v1/definitions/research_permit/migration/dry-run", headers=analyst,
                       json={"from": 2, "to": 2})
    assert same.status_code == 422
    officer = client.post("/api/v1/definitions/research_permit/migration", headers=people.headers("vera"),
                          json={"from": 1, "to": 2})
    assert officer.status_code == 403


def test_lincah_migrate_dry_run_and_run_from_the_command_line(client, people, db, ctx, deployed):
    first, _ = _started(client, people)
    _deploy_second_version(db, ctx)
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(ctx.settings.instance_path)}
    runner = CliRunner()
    dry = runner.invoke(main, ["migrate", "dry-run", "research_permit", "--from", "1", "--to", "2"], env=env)
    assert dry.exit_code == 0, dry.output
    assert f"{first['registration_no']}  at Task_Verify: can move" in dry.output
    assert "2 of 2 application(s) can move" in dry.output
    nowhere = runner.invoke(main, ["migrate", "dry-run", "research_permit", "--from", "1", "--to", "2",
                                   "--map", "Task_Verify="], env=env)
    assert "stays — its current step 'Task_Verify'" in nowhere.output
    run = runner.invoke(main, ["migrate", "run", "research_permit", "--from", "1", "--to", "2", "--note", "uji"],
                        env=env)
    assert run.exit_code == 0 and "moved 2, stayed 0" in run.output, run.output
    back = runner.invoke(main, ["migrate", "rollback", first["registration_no"]], env=env)
    assert back.exit_code == 0 and "back on version 1" in back.output
