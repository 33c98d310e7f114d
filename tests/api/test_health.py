"""GET /api/v1/health: ready when the database answers at the expected schema; 503 saying what to fix otherwise."""

from __future__ import annotations

from alembic import command

from api import create_app
from engine.storage.db import alembic_config, head_revision, make_engine, make_session_factory, upgrade
from tests import samples
from tests.api.conftest import apply, complete, open_task


def test_ready_with_the_database_at_the_expected_schema(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["schema"] == body["expected_schema"] == head_revision()
    # No scheduler has run against this fresh database: served, but degraded (tests/scheduler/test_heartbeat.py).
    assert body["status"] == "degraded" and body["scheduler"]["state"] == "never ran"


def test_reports_the_workflows_kept_for_their_next_step(client, people, deployed):
    andi, vera = people.headers("andi"), people.headers("vera")
    before = client.get("/api/v1/health").get_json()["kept_workflows"]
    application = apply(client, andi)
    task = open_task(client, vera, application["id"], "Task_Verify")
    assert complete(client, vera, task["id"], {**samples.VERIFIED, "note": "Lengkap"}, "Setujui").status_code == 200
    after = client.get("/api/v1/health").get_json()["kept_workflows"]
    assert after["reused"] == before["reused"] + 1  # the verification started from what the start saved
    assert after["held"] >= 1 and after["limit"] == 256


def _app_on(url: str, ctx):
    return create_app({"TESTING": True}, context=ctx, session_factory=make_session_factory(make_engine(url)))


def test_a_database_behind_the_migrations_is_503_with_what_to_run(ctx, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0004")
    response = _app_on(url, ctx).test_client().get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["schema"] == "0004"
    assert body["problems"] == [f"The database schema is at 0004, this server needs {head_revision()}: run "
                                "'lincah db upgrade'."]


def test_an_unreachable_database_is_503_without_internals(ctx):
    # Nothing listens on port 1: the connection is refused at once.
    response = _app_on("postgresql+psycopg://lincah@127.0.0.1:1/lincah?connect_timeout=2", ctx).test_client().get(
        "/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    assert "LINCAH_DATABASE_URL" in body["problems"][0]
    assert "Traceback" not in response.get_data(as_text=True) and "127.0.0.1" not in response.get_data(as_text=True)
