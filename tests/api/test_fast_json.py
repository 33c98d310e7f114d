"""The inbox and the completion answer are encoded with orjson straight from the presenters (``api.fast_json``);
they must be exactly what flask-smorest's marshmallow schemas would have written, field for field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from api import presenters
from api.fast_json import json_response
from api.schemas.tasks import CompleteResult, InboxPage
from engine.casework import inbox, use_cases
from engine.people.access import Actor
from tests.api.conftest import apply, open_task
from tests.samples import VERIFIED

pytestmark = pytest.mark.usefixtures("deployed")

VERA = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])


def _schema_json(schema, body) -> object:
    """What flask-smorest would have sent: the schema's dump, through the standard JSON encoder."""
    return json.loads(json.dumps(schema().dump(body)))


def test_the_inbox_answer_equals_the_schemas_dump(client, people, db, ctx):
    first = apply(client, people.headers("andi"))
    apply(client, people.headers("budi"))
    vera = people.headers("vera")
    client.post(f"/api/v1/tasks/{first['tasks'][0]['id']}/claim", headers=vera)

    for query, filters in (("limit=1", {"limit": 1}), ("assignee=me", {"assignee": "me"})):
        answer = client.get(f"/api/v1/tasks?{query}", headers=vera)
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        with db.transaction() as session:
            page = inbox.search(session, VERA, inbox.InboxQuery(**filters), now=ctx.now())
            expected = _schema_json(InboxPage, presenters.inbox_page(page, ctx.now()))
        assert answer.get_json() == expected
    first_page = client.get("/api/v1/tasks?limit=1", headers=vera).get_json()
    assert first_page["next_cursor"] and first_page["total"] == 2
    assert expected["items"][0]["claimed_at"] is not None  # a datetime, written as marshmallow writes it


def test_the_completion_answer_equals_the_schemas_dump(app, client, people, db, ctx):
    application = apply(client, people.headers("andi"))
    task = open_task(client, people.headers("vera"), application["id"], "Task_Verify")
    with db.transaction() as session, app.app_context():
        instance, open_rows = use_cases.complete_task(session, ctx, task["id"], VERA,
                                                     data={**VERIFIED, "note": "Lengkap"}, decision="Setujui")
        body = presenters.completion(instance, open_rows, ctx.now())
        assert json.loads(json_response(body).get_data()) == _schema_json(CompleteResult, body)
    assert [t["element_id"] for t in body["tasks"]] == ["Task_Sign"]
    assert body["tasks"][0]["due_at"] is not None  # in the office's zone: the encoders must agree on offsets too


def test_datetimes_are_written_like_marshmallows_iso_format(app):
    moments = [datetime(2026, 8, 17, 9, 30, tzinfo=UTC), datetime(2026, 8, 17, 9, 30, 5, 123456, tzinfo=UTC)]
    with app.app_context():
        encoded = json.loads(json_response({"at": moments}).get_data())
    assert encoded["at"] == [moment.isoformat() for moment in moments]
