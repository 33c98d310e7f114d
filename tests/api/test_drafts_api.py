"""Form drafts over the API (issue 18): an app saves and reads back its person's draft; nobody reaches another's;
only forms the person may send; bounds answered as 422 naming the field."""

from __future__ import annotations

import pytest

from engine.casework import drafts
from tests.api.conftest import add_user, apply, open_task

pytestmark = pytest.mark.usefixtures("deployed")
SCOPE = "start:research_permit"


def _put(client, headers, fields, scope: str = SCOPE):
    return client.put("/api/v1/drafts", headers=headers, json={"scope": scope, "fields": fields})


def test_an_app_keeps_and_reads_back_its_persons_draft_and_nobody_elses(client, people):
    andi = people.headers("andi")
    saved = _put(client, andi, [["research_title", "Kajian mangrove"], ["nik", "7371010101010001"]])
    assert saved.status_code == 200 and saved.get_json()["scope"] == SCOPE
    body = client.get(f"/api/v1/drafts?scope={SCOPE}", headers=andi).get_json()
    assert body["fields"] == [["research_title", "Kajian mangrove"], ["nik", "7371010101010001"]]
    assert body["expires_at"] > body["saved_at"]
    assert client.get(f"/api/v1/drafts?scope={SCOPE}", headers=people.headers("budi")).status_code == 404
    assert client.get(f"/api/v1/drafts?scope={SCOPE}").status_code == 401
    assert client.delete(f"/api/v1/drafts?scope={SCOPE}", headers=people.headers("budi")).status_code == 204
    assert client.get(f"/api/v1/drafts?scope={SCOPE}", headers=andi).status_code == 200, "budi's delete was his own"
    assert client.delete(f"/api/v1/drafts?scope={SCOPE}", headers=andi).status_code == 204
    assert client.get(f"/api/v1/drafts?scope={SCOPE}", headers=andi).status_code == 404


def test_only_forms_the_person_may_send_keep_drafts(client, people):
    andi = people.headers("andi")
    application = apply(client, andi)
    verify = open_task(client, people.headers("vera"), application["id"], "Task_Verify")["id"]
    assert _put(client, andi, [["note", "x"]], f"task:{verify}").status_code == 404
    assert _put(client, people.headers("sinta"), [["note", "x"]],
                f"task:{verify}").status_code == 404
    assert _put(client, people.headers("vera"), [["note", "Setengah jadi"]], f"task:{verify}").status_code == 200
    assert _put(client, andi, [["a", "b"]], "start:no_such_service").status_code == 404
    unknown = _put(client, andi, [["a", "b"]], "elsewhere")
    assert unknown.status_code == 404 and "start:<service key>" in unknown.get_json()["error"]["message"]
    add_user(people.db, "mira", ["manager"], full_name="Mira Manajer")
    manager = people.headers("mira")
    assert _put(client, manager, [["a", "b"]]).status_code == 403, "a manager does not apply"


def test_bounds_are_answered_with_what_to_shorten(client, people):
    andi = people.headers("andi")
    too_long = _put(client, andi, [["research_purpose", "x" * (drafts.MAX_VALUE + 1)]])
    assert too_long.status_code == 422
    too_large = _put(client, andi, [[f"f{i}", "x" * drafts.MAX_VALUE] for i in range(14)])
    assert too_large.status_code == 422 and "KB" in too_large.get_json()["error"]["message"]
    assert _put(client, andi, [["ok", "fine"]]).status_code == 200
