"""The migration API speaks English, as every API error does (the pages say the same messages in their own
language: tests/web/test_migration_language.py): a client's Accept-Language changes neither a dry run's reasons, nor
a run's refusals, nor a refused plan."""

from __future__ import annotations

from tests.api.test_migrations_api import _deploy_second_version, _started

INDONESIAN = {"Accept-Language": "id"}


def test_reasons_refusals_and_a_wrong_plan_are_english_whatever_the_client_asks(client, people, db, ctx, deployed):
    first, second = _started(client, people)
    _deploy_second_version(db, ctx)
    analyst = {**people.headers("analis"), **INDONESIAN}
    nowhere = {"from": 1, "to": 2, "mapping": {"Task_Verify": None}}
    dry = client.post("/api/v1/definitions/research_permit/migration/dry-run", headers=analyst, json=nowhere)
    assert dry.status_code == 200
    assert [a["reasons"] for a in dry.get_json()["applications"]] == [
        ["its current step 'Task_Verify' is not in version 2 and the plan maps it nowhere"]] * 2
    run = client.post("/api/v1/definitions/research_permit/migration", headers=analyst, json=nowhere)
    assert run.status_code == 200 and run.get_json()["moved"] == []
    assert run.get_json()["stayed"] == {
        str(app["id"]): f"Application {app['registration_no']} cannot move to version 2: its current step "
                        "'Task_Verify' is not in version 2 and the plan maps it nowhere." for app in (first, second)}
    bad = client.post("/api/v1/definitions/research_permit/migration/dry-run", headers=analyst,
                      json={"from": 1, "to": 2, "mapping": {"Task_Verify": "Task_Nowhere"}})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["message"] == "The migration plan names elements the versions do not have."
    assert bad.get_json()["error"]["details"] == {
        "mapping.Task_Verify": "version 2 has no element 'Task_Nowhere' to map 'Task_Verify' to"}
