"""``lincah backup`` / ``lincah restore``: an installation goes into a folder and comes back whole — the files people
uploaded, their applications mid-way, the accounts that work them — into a new database of either kind."""

from __future__ import annotations

import gzip
import os
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api import create_app
from api.cli import main
from engine.people import tokens
from engine.storage import backup as backups
from engine.storage.db import make_engine, make_session_factory
from engine.storage.models import Attachment, Instance
from tests.api.conftest import apply, complete, open_task, vessel_data
from tests.conftest import POSTGRES_URL, _postgres_schema
from tests.people import account
from tests.samples import INSPECTION


def _run(args: list[str], url: str, instance) -> object:
    env = {"LINCAH_DATABASE_URL": url, "LINCAH_INSTANCE_PATH": str(instance)}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in backups.tables()}


@pytest.fixture
def new_database(database, tmp_path):
    """A database nobody migrated yet, of the same kind as the one under test."""
    if database.backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    schema = f"lincah_restore_{os.getpid()}"
    url = _postgres_schema(POSTGRES_URL, schema)
    yield url
    _postgres_schema(POSTGRES_URL, schema, drop_only=True)


@pytest.mark.usefixtures("deployed")
def test_a_restored_installation_serves_the_same_files_and_goes_on_with_the_work(
        client, people, db, ctx, tmp_path, new_database):
    owner, sinta = people.headers("andi"), people.headers("sinta")
    data = vessel_data(client, owner, "sinjai")
    created = apply(client, owner, "fishing_vessel_permit", data)
    complete(client, sinta, open_task(client, sinta, created["id"], "Task_Recommend")["id"], {}, "Rekomendasikan")
    ktp = client.get(f"/api/v1/attachments/{data['ktp']['id']}", headers=owner).data
    before = _counts(db.engine)

    backed_up = _run(["backup", str(tmp_path / "backup")], db.url, ctx.settings.instance_path)
    assert backed_up.exit_code == 0, backed_up.output
    assert f"{sum(before.values())} rows" in backed_up.output

    instance = tmp_path / "restored-instance"
    restored = _run(["restore", str(tmp_path / "backup")], new_database, instance)
    assert restored.exit_code == 0, restored.output
    engine = make_engine(new_database)
    try:
        assert _counts(engine) == before
        restored_ctx = replace(ctx, settings=replace(ctx.settings, instance_path=instance))
        app = create_app({"TESTING": True}, context=restored_ctx, session_factory=make_session_factory(engine))
        again = app.test_client()
        # The same people, signed in with the tokens they had, see the same file and the same bytes.
        assert again.get(f"/api/v1/attachments/{data['ktp']['id']}", headers=owner).data == ktp
        detail = again.get(f"/api/v1/applications/{created['id']}", headers=owner).get_json()
        assert detail["registration_no"] == created["registration_no"]
        # The workflow state came back too: the inspection step opened before the backup can be completed after.
        inspect = open_task(again, sinta, created["id"], "Task_Inspect")
        assert complete(again, sinta, inspect["id"], INSPECTION, "Layak").status_code == 200
        # New rows get new ids after the restored ones (the sequences moved past them).
        second = apply(again, owner, "fishing_vessel_permit", vessel_data(again, owner, "sinjai"))
        assert second["id"] > created["id"]
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Instance)) == 2
    finally:
        engine.dispose()


def test_a_damaged_backup_is_refused_before_anything_is_written(db, ctx, tmp_path):
    assert _run(["backup", str(tmp_path / "backup")], db.url, ctx.settings.instance_path).exit_code == 0
    table = tmp_path / "backup" / "db" / "users.jsonl.gz"
    table = table if table.exists() else next((tmp_path / "backup" / "db").glob("*.jsonl.gz"))
    table.write_bytes(gzip.compress(b'{"id": 1}\n'))
    target = f"sqlite:///{tmp_path / 'target.db'}"
    result = _run(["restore", str(tmp_path / "backup")], target, tmp_path / "target-instance")
    assert result.exit_code == 1
    assert "damaged" in result.output and table.name.removesuffix(".jsonl.gz") in result.output
    assert not (tmp_path / "target.db").exists()


@pytest.mark.usefixtures("deployed")
def test_restore_refuses_a_database_that_already_holds_data(client, people, db, ctx, tmp_path):
    apply(client, people.headers("andi"), "fishing_vessel_permit")
    before = _counts(db.engine)
    assert _run(["backup", str(tmp_path / "backup")], db.url, ctx.settings.instance_path).exit_code == 0
    result = _run(["restore", str(tmp_path / "backup")], db.url, tmp_path / "elsewhere")
    assert result.exit_code == 1 and "not empty" in result.output
    assert _counts(db.engine) == before


def test_backup_never_writes_into_a_folder_that_holds_something(db, ctx, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "older.txt").write_text("an earlier backup")
    result = _run(["backup", str(tmp_path / "backup")], db.url, ctx.settings.instance_path)
    assert result.exit_code == 1 and "not empty" in result.output
    assert (tmp_path / "backup" / "older.txt").read_text() == "an earlier backup"


def _signed_in(factory, ctx, username: str) -> dict:
    with factory.begin() as session:
        user = account(username, ["applicant"])
        session.add(user)
        session.flush()
        return {"Authorization": f"Bearer {tokens.issue(session, ctx, user).token}"}


def _app_on(url: str, ctx, instance):
    engine = make_engine(url)
    settings = replace(ctx.settings, instance_path=instance)
    return engine, create_app({"TESTING": True}, context=replace(ctx, settings=settings),
                              session_factory=make_session_factory(engine))


@pytest.mark.postgresql_only
def test_an_embedded_installation_moves_to_postgresql(database, ctx, tmp_path, new_database):
    sqlite_url, instance = f"sqlite:///{tmp_path / 'embedded.db'}", tmp_path / "embedded"
    for args in (["db", "upgrade"], ["deploy", "processes/"]):
        assert _run(args, sqlite_url, instance).exit_code == 0
    source, embedded = _app_on(sqlite_url, ctx, instance)
    andi = _signed_in(make_session_factory(source), ctx, "andi")
    client = embedded.test_client()
    data = vessel_data(client, andi, "sinjai")
    created = apply(client, andi, "fishing_vessel_permit", data)
    assert (instance / "attachments").is_dir()  # on SQLite the documents are files
    before = _counts(source)
    source.dispose()

    assert _run(["backup", str(tmp_path / "backup")], sqlite_url, instance).exit_code == 0
    assert _run(["restore", str(tmp_path / "backup")], new_database, tmp_path / "server").exit_code == 0
    engine, server = _app_on(new_database, ctx, tmp_path / "server")
    try:
        after = _counts(engine)
        # On PostgreSQL the documents went into the database, not into the new host's folder.
        with engine.connect() as connection:
            distinct = connection.execute(select(func.count(func.distinct(Attachment.sha256)))).scalar_one()
        assert after.pop("attachment_content") == distinct > 0
        before.pop("attachment_content")
        assert after == before and before["service_definition"] >= 2
        assert not (tmp_path / "server" / "attachments").exists()
        client = server.test_client()
        assert client.get(f"/api/v1/attachments/{data['ktp']['id']}", headers=andi).data[:5] == b"%PDF-"
        assert client.get(f"/api/v1/applications/{created['id']}", headers=andi).status_code == 200
        # The services deployed on SQLite take new applications on PostgreSQL.
        assert apply(client, andi, "fishing_vessel_permit", vessel_data(client, andi, "sinjai"))["registration_no"]
    finally:
        engine.dispose()
