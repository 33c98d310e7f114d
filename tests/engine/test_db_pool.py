"""Pooled PostgreSQL connections: checked only after sitting idle, replaced when the server dropped them."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from engine.db import make_engine


@pytest.fixture
def postgres(database):
    if database.backend != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    return database


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _count_pings(engine) -> list:
    pings = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    engine.dialect.do_ping = counted
    return pings


def test_a_connection_the_server_dropped_while_idle_is_replaced_unnoticed(postgres):
    engine = make_engine(postgres.url, ping_after_idle=0.05, pool_size=1, max_overflow=0)
    try:
        dropped = _backend_pid(engine)
        with postgres.engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar() is True
        time.sleep(0.1)
        assert _backend_pid(engine) != dropped  # no error: the dead connection was swapped for a new one
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres):
    engine = make_engine(postgres.url, ping_after_idle=60, pool_size=1, max_overflow=0)
    pings = _count_pings(engine)
    try:
        for _ in range(5):
            _backend_pid(engine)
        assert pings == []
    finally:
        engine.dispose()


def test_a_connection_idle_for_long_is_pinged_once_before_use(postgres):
    engine = make_engine(postgres.url, ping_after_idle=0.05, pool_size=1, max_overflow=0)
    pings = _count_pings(engine)
    try:
        first = _backend_pid(engine)
        time.sleep(0.1)
        assert _backend_pid(engine) == first  # alive: kept
        assert len(pings) == 1
    finally:
        engine.dispose()
