"""A database that is down or frozen: pages answer 503 with a page a person can read, the API 503 in its JSON
shape with Retry-After, /health 503 within about a second; when the database is back, so is everything else."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from api import create_app
from engine.storage.db import Timeouts, make_engine, make_session_factory
from tests import samples
from tests.api.conftest import apply, complete, open_task
from tests.outage import FreezableProxy, unreachable_postgres_url

# Short limits so that a frozen database shows within seconds; the defaults (engine/config.py) are longer.
QUICK = Timeouts(connect=2, statement=1, lock=1, pool=1)
PAGE = {"Accept": "text/html"}


def _app(ctx, url: str, timeouts: Timeouts = QUICK):
    engine = make_engine(url, timeouts=timeouts)
    return create_app({"TESTING": True}, context=ctx, session_factory=make_session_factory(engine)), engine


def _timed(client, path: str, **kwargs):
    started = time.monotonic()
    response = client.get(path, **kwargs)
    return response, time.monotonic() - started


def _wait_until_healthy(client, seconds: float = 15) -> None:
    """Until /health answers 200. Its answer is bounded at a second, and a fresh connection through the proxy on a
    busy machine (the test suite's) can take longer than that: the first answer alone does not say the database is
    down."""
    deadline = time.monotonic() + seconds
    while client.get("/api/v1/health").status_code != 200:
        assert time.monotonic() < deadline, "the health check did not answer 200 while the database was up"
        time.sleep(0.2)


def _assert_unavailable_page(response, title: str) -> None:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert title in page
    assert "Traceback" not in page and "psycopg" not in page and "OperationalError" not in page


def _assert_unavailable_json(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and "Try again in a minute" in error["message"]
    assert set(error) >= {"code", "message", "details"}


def test_an_unreachable_database_is_a_503_page_in_indonesian_and_english_and_503_json(ctx):
    app, engine = _app(ctx, unreachable_postgres_url())
    client = app.test_client()
    try:
        _assert_unavailable_page(client.get("/services", headers=PAGE), "Sementara tidak tersedia")
        assert "Basis data sedang tidak menjawab" in client.get("/services", headers=PAGE).get_data(as_text=True)
        client.set_cookie("lincah_lang", "en")
        english = client.get("/services", headers=PAGE)
        _assert_unavailable_page(english, "Temporarily unavailable")
        assert "check whether it was saved before sending it again" in english.get_data(as_text=True)
        _assert_unavailable_json(client.get("/api/v1/services"))
        health, elapsed = _timed(client, "/api/v1/health")
        assert health.status_code == 503 and elapsed < 3
        assert health.get_json()["database"] == "unreachable"
    finally:
        engine.dispose()


@pytest.mark.postgresql_only
def test_a_frozen_database_is_503_within_seconds_and_everything_recovers_when_it_thaws(database, db, ctx, people,
                                                                                       deployed):
    proxy = FreezableProxy(database.url)
    app, engine = _app(ctx, proxy.url_for(database.url))
    client = app.test_client()
    andi, vera = people.headers("andi"), people.headers("vera")
    try:
        _wait_until_healthy(client)
        assert client.get("/services", headers=PAGE).status_code == 200
        application = apply(client, andi)  # pooled connections now exist, as on a server that was working

        proxy.freeze()
        health, elapsed = _timed(client, "/api/v1/health")
        assert health.status_code == 503 and elapsed < 3, elapsed
        body = health.get_json()
        assert body["database"] == "unreachable" and "within 1 s" in body["problems"][0]
        assert health.headers["Retry-After"] == "5"
        again, elapsed = _timed(client, "/api/v1/health")  # the first question is still out: told at once
        assert again.status_code == 503 and elapsed < 3, elapsed

        page, elapsed = _timed(client, "/services", headers=PAGE)
        _assert_unavailable_page(page, "Sementara tidak tersedia")
        assert elapsed < 10, elapsed  # the statement limit plus the grace, not for ever
        api, elapsed = _timed(client, "/api/v1/services")
        _assert_unavailable_json(api)
        assert elapsed < 10, elapsed

        proxy.thaw()
        _wait_until_healthy(client)  # recovered after the database thawed
        assert client.get("/services", headers=PAGE).status_code == 200
        task = open_task(client, vera, application["id"], "Task_Verify")
        assert complete(client, vera, task["id"], {**samples.VERIFIED, "note": "Lengkap"}, "Setujui").status_code == 200
    finally:
        proxy.close()
        engine.dispose()


@pytest.mark.postgresql_only
def test_a_statement_waiting_on_a_lock_gives_up_at_the_lock_timeout_with_503(database, db, ctx, people, deployed):
    app, engine = _app(ctx, database.url)
    client = app.test_client()
    andi = people.headers("andi")
    try:
        with database.engine.connect() as holder:
            holder.execute(text("LOCK TABLE service_definition IN ACCESS EXCLUSIVE MODE"))
            response, elapsed = _timed(client, "/api/v1/services", headers=andi)
            _assert_unavailable_json(response)
            assert elapsed < 5, elapsed
            holder.rollback()
        assert client.get("/api/v1/services", headers=andi).status_code == 200
    finally:
        engine.dispose()


@pytest.mark.postgresql_only
def test_the_timeouts_reach_the_postgresql_server(database):
    engine = make_engine(database.url, timeouts=Timeouts(connect=3, statement=12, lock=4, pool=2))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "12s"
            assert conn.execute(text("SHOW lock_timeout")).scalar() == "4s"
            assert conn.execute(text("SHOW search_path")).scalar().startswith("lincah_test_")  # the URL's options kept
        assert engine.pool.timeout() == 2
    finally:
        engine.dispose()
