"""In-app notifications over HTTP: each person lists, pages and marks read their own, and nobody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import apply
from tests.drive import sla_pass

pytestmark = pytest.mark.usefixtures("deployed")

LIST = "/api/v1/notifications"
READ = "/api/v1/notifications/read"


def _list(client, headers, **query) -> dict:
    response = client.get(LIST, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _read(client, headers, body=None) -> dict:
    response = client.post(READ, headers=headers, json=body) if body is not None else \
        client.post(READ, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_applicant_sees_their_received_notifications_newest_first(client, people, clock):
    andi = people.headers("andi")
    first = apply(client, andi)
    clock.advance(timedelta(minutes=5))
    second = apply(client, andi)
    page = _list(client, andi)
    assert page["unread"] == 2 and page["next_before"] is None
    newest, oldest = page["items"]
    assert [n["kind"] for n in page["items"]] == ["application_received"] * 2
    assert (newest["instance_id"], oldest["instance_id"]) == (second["id"], first["id"])
    assert second["registration_no"] in newest["subject"] and "terima" in newest["body"]
    assert newest["read"] is False and newest["read_at"] is None and newest["id"] > oldest["id"]
    assert newest["data"]["registration_no"] == second["registration_no"]


def test_pages_back_with_before(client, people):
    andi = people.headers("andi")
    for _ in range(3):
        apply(client, andi)
    everything = [n["id"] for n in _list(client, andi)["items"]]
    first = _list(client, andi, limit=2)
    assert [n["id"] for n in first["items"]] == everything[:2] and first["next_before"] == everything[1]
    rest = _list(client, andi, limit=2, before=first["next_before"])
    assert [n["id"] for n in rest["items"]] == everything[2:] and rest["next_before"] is None
    assert first["unread"] == rest["unread"] == 3  # the count is of all unread, not of the page


def test_mark_some_then_all_read(client, people, clock):
    andi = people.headers("andi")
    for _ in range(3):
        apply(client, andi)
    newest, middle, oldest = (n["id"] for n in _list(client, andi)["items"])
    clock.advance(timedelta(hours=1))
    assert _read(client, andi, {"ids": [middle]}) == {"marked": 1, "unread": 2}
    assert _read(client, andi, {"ids": [middle]}) == {"marked": 0, "unread": 2}  # already read
    unread = _list(client, andi, unread="true")
    assert [n["id"] for n in unread["items"]] == [newest, oldest] and unread["unread"] == 2
    (read,) = [n for n in _list(client, andi)["items"] if n["id"] == middle]
    assert read["read"] is True and read["read_at"] is not None
    assert _read(client, andi, {"ids": []}) == {"marked": 0, "unread": 2}
    assert _read(client, andi) == {"marked": 2, "unread": 0}  # no body: all of mine
    assert _list(client, andi, unread="true") == {"items": [], "unread": 0, "next_before": None}


def test_nobody_reads_or_marks_another_persons_notifications(client, people):
    andi, budi = people.headers("andi"), people.headers("budi")
    apply(client, andi)
    (mine,) = _list(client, andi)["items"]
    assert _list(client, budi) == {"items": [], "unread": 0, "next_before": None}
    assert _list(client, people.headers("admin"))["items"] == []  # not even an administrator's list shows it
    assert _read(client, budi, {"ids": [mine["id"]]}) == {"marked": 0, "unread": 0}
    assert _read(client, budi) == {"marked": 0, "unread": 0}
    assert _list(client, andi)["unread"] == 1 and _list(client, andi)["items"][0]["read"] is False


def test_an_officer_is_told_of_a_breach_on_the_task_they_hold(client, people, db, ctx, clock):
    andi, vera = people.headers("andi"), people.headers("vera")
    created = apply(client, andi)
    (task,) = created["tasks"]
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=vera).status_code == 200
    assert _list(client, vera)["unread"] == 0
    clock.advance(timedelta(days=1))  # verification is PT4H of working time: well past it
    sla_pass(db, ctx)
    page = _list(client, vera, unread="true")
    breaches = [n for n in page["items"] if n["kind"] == "sla_breached"]
    assert [(n["task_id"], n["instance_id"]) for n in breaches] == [(task["id"], created["id"])]
    assert created["registration_no"] in breaches[0]["subject"]
    assert "sla_breached" not in {n["kind"] for n in _list(client, andi)["items"]}


def test_sign_in_is_required_and_bad_parameters_are_422(client, people):
    assert client.get(LIST).status_code == 401
    assert client.post(READ, json={}).status_code == 401
    andi = people.headers("andi")
    for query, field in (({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"before": 0}, "before"),
                         ({"unread": "mungkin"}, "unread")):
        response = client.get(LIST, headers=andi, query_string=query)
        assert response.status_code == 422 and field in response.get_json()["error"]["details"], query
    response = client.post(READ, headers=andi, json={"ids": ["satu"]})
    assert response.status_code == 422 and "ids.0" in response.get_json()["error"]["details"]


def test_the_endpoints_are_documented_with_their_parameters(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    listing = paths[LIST]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"unread", "limit", "before"}
    assert listing["security"] == [{"bearerAuth": []}]
    assert "requestBody" in paths[READ]["post"]
