"""Pooled PostgreSQL connections: checked only after sitting idle, replaced when the server dropped them."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from engine.storage.db import make_engine

pytestmark = pytest.mark.postgresql_only


@contextmanager
def _pool(database, ping_after_idle: float):
    """An engine of one pooled connection, with its pings counted."""
    engine = make_engine(database.url, ping_after_idle=ping_after_idle, pool_size=1, max_overflow=0)
    pings = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    engine.dialect.do_ping = counted
    try:
        yield engine, pings
    finally:
        engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_the_server_dropped_while_idle_is_replaced_unnoticed(database):
    with _pool(database, ping_after_idle=0.05) as (engine, _):
        dropped = _backend_pid(engine)
        with database.engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar() is True
        time.sleep(0.1)
        assert _backend_pid(engine) != dropped  # no error: the dead connection was swapped for a new one


def test_a_connection_used_a_moment_ago_is_not_pinged(database):
    with _pool(database, ping_after_idle=60) as (engine, pings):
        for _ in range(5):
            _backend_pid(engine)
        assert pings == []


def test_a_connection_idle_for_long_is_pinged_once_before_use(database):
    with _pool(database, ping_after_idle=0.05) as (engine, pings):
        first = _backend_pid(engine)
        time.sleep(0.1)
        assert _backend_pid(engine) == first  # alive: kept
        assert len(pings) == 1
