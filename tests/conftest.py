"""Test fixtures: every database test runs on SQLite and, when ``LINCAH_TEST_POSTGRES_URL`` is set, on PostgreSQL.

The schema is created once per backend through the Alembic migrations (so the migrations are tested too) and
emptied between tests. A PostgreSQL URL that is set but unreachable fails the run: it is never silently skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT, Settings
from engine.context import EngineContext
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade
from engine.storage.models import Base

POSTGRES_URL = os.environ.get("LINCAH_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# A Tuesday, 09:00 in Makassar (WITA): a working day with no holiday near it.
T0 = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)


@dataclass
class Database:
    backend: str
    url: str
    engine: object
    factory: object

    def transaction(self):
        return transaction(self.factory)


def _postgres_schema(url: str, schema: str, *, drop_only: bool = False) -> str:
    """Each test run gets its own schema, so runs in parallel (or a benchmark) never wipe each other's tables.

    Returns a URL whose connections use that schema (psycopg passes ``options`` to the server).
    """
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if not drop_only:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"LINCAH_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    finally:
        engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_only: a PostgreSQL server feature; the test runs on the "
                                       "PostgreSQL backend only (SQLite has nothing to test there)")


# Real diagrams from ~25 modelling tools, kept beside the checkout (../shared/corpus), not in the repository: a clone
# without them still runs every other test. In CI the corpus must be there.
CORPUS = Path(os.environ.get("LINCAH_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus folder. Without it, the test is reported as not run and why (and fails in CI, which has it)."""
    if CORPUS.is_dir() and any(CORPUS.rglob("*.bpmn")):
        return CORPUS
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the corpus tests, but the BPMN corpus is not at {CORPUS}", pytrace=False)
    pytest.skip(f"not run: needs the BPMN corpus at {CORPUS} (../shared/corpus beside the checkout, or "
                "LINCAH_CORPUS), which this clone does not have")


def pytest_collection_modifyitems(config, items):
    """A ``postgresql_only`` test exists only in its PostgreSQL variant, as every test's PostgreSQL variant exists
    only when ``LINCAH_TEST_POSTGRES_URL`` is set: its SQLite variant is left out of the run, not skipped."""
    other = [item for item in items if item.get_closest_marker("postgresql_only")
             and getattr(item, "callspec", None) is not None and item.callspec.params.get("database") != "postgresql"]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if item not in other]


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory) -> Database:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'lincah.db'}"
    else:
        schema = f"lincah_test_{os.getpid()}"
        url = _postgres_schema(POSTGRES_URL, schema)
    upgrade(url)
    engine = make_engine(url, pool_size=20, max_overflow=10) if request.param == "postgresql" else make_engine(url)
    yield Database(request.param, url, engine, make_session_factory(engine))
    engine.dispose()
    if request.param == "postgresql":
        _postgres_schema(POSTGRES_URL, schema, drop_only=True)


@pytest.fixture
def db(database: Database) -> Database:
    return emptied(database)


def emptied(database: Database) -> Database:
    """``database`` with every table empty, its ids starting again at 1."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)] + [
        t for t in _extra_tables(database) if t not in {m.name for m in Base.metadata.sorted_tables}]
    with database.engine.begin() as conn:
        if database.backend == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
    return database


def _extra_tables(database: Database) -> list[str]:
    from sqlalchemy import inspect

    return [t for t in inspect(database.engine).get_table_names() if t != "alembic_version"]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://", instance_path=tmp_path / "instance")


@pytest.fixture
def ctx(settings: Settings, clock: FrozenClock) -> EngineContext:
    return EngineContext(settings=settings, clock=clock)


@pytest.fixture
def processes_dir() -> Path:
    return PROJECT_ROOT / "processes"
