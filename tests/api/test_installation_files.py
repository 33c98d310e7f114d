"""Several app hosts on one PostgreSQL share what used to live on one host's disk: the generated session key and the
offices' calendars (``engine/storage/installation_files.py``); with SQLite the instance folder stays the only place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import create_app
from api.cli import main
from engine.storage import installation_files
from tests.conftest import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "docs" / "calendars.example.toml"


def _host(db, ctx, folder: Path):
    settings = replace(ctx.settings, instance_path=folder, calendars_path=folder / "calendars.toml")
    return create_app({"TESTING": True}, context=replace(ctx, settings=settings), session_factory=db.factory)


def _publish(db, folder: Path, source: Path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(folder)}
    return CliRunner().invoke(main, ["calendar", "publish", str(source)], env=env, catch_exceptions=False)


@pytest.mark.postgresql_only
def test_hosts_on_one_database_sign_sessions_with_one_key(db, ctx, tmp_path):
    first, second = _host(db, ctx, tmp_path / "a"), _host(db, ctx, tmp_path / "b")
    assert first.secret_key != second.secret_key  # each made one of its own at start
    first.test_client().get("/api/v1/health")
    second.test_client().get("/api/v1/health")
    # The first host to reach the database offered its key; the second adopted it (and keeps a copy on disk).
    assert first.secret_key == second.secret_key
    assert (tmp_path / "b" / "secret_key").read_text() == first.secret_key
    # So a cookie signed on one host (the web session, a permit-check link) is good on the other.
    signed = first.session_interface.get_signing_serializer(first).dumps({"probe": "from host A"})
    assert second.session_interface.get_signing_serializer(second).loads(signed) == {"probe": "from host A"}


@pytest.mark.postgresql_only
def test_calendars_published_on_one_host_reach_another(db, ctx, tmp_path):
    published = _publish(db, tmp_path / "a", EXAMPLE)
    assert published.exit_code == 0, published.output
    assert "database" in published.output
    assert installation_files.read(db.factory(), installation_files.CALENDARS)[0] == EXAMPLE.read_bytes()
    # A host that never had the file starts with it, and its calendars know the offices the file names.
    other = _host(db, ctx, tmp_path / "b")
    assert (tmp_path / "b" / "calendars.toml").read_bytes() == EXAMPLE.read_bytes()
    assert "sinjai" in other.extensions["lincah"]["ctx"].calendars.offices


def test_a_broken_calendars_file_is_never_published(db, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[office.sinjai]\ndays_of = [2026-02-27]\n")
    result = _publish(db, tmp_path / "a", broken)
    assert result.exit_code == 1 and "not published" in result.output and "days_of" in result.output
    assert not (tmp_path / "a" / "calendars.toml").exists()
    with db.factory() as session:
        assert installation_files.read(session, installation_files.CALENDARS) is None


def test_publishing_writes_this_hosts_calendars_file(db, tmp_path):
    result = _publish(db, tmp_path / "a", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a" / "calendars.toml").read_bytes() == EXAMPLE.read_bytes()
