"""At risk is read off the clock (engine.sla.risk), not stored: migration 0019 turns the marks the old SLA pass stored
into clocks that read the same, SQL and Python agree on every kind of clock, and a paused clock keeps the state it
had when it stopped. Run on SQLite and, with ``LINCAH_TEST_POSTGRES_URL``, on PostgreSQL (a schema of its own)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Column, MetaData, Table, insert, select

from engine.sla import risk
from engine.storage.db import alembic_config, make_engine, upgrade
from engine.storage.models import Instance, ServiceDefinition, Task
from tests.conftest import BACKENDS, POSTGRES_URL, _postgres_schema

NOW = datetime.now(UTC).replace(microsecond=0)  # the migration's downgrade reads the real clock
H = timedelta(hours=1)
# id: (stored state before 0019, at_risk_at, breached_at, paused_since, alarm before 0019), then
# (stored state after 0019, alarm after 0019, state read at NOW).
CLOCKS = {
    "on-track": (("on_track", NOW + H, NOW + 2 * H, None, NOW + H), ("on_track", NOW + 2 * H, "on_track")),
    "marked": (("at_risk", NOW - H, NOW + H, None, NOW + H), ("on_track", NOW + H, "at_risk")),
    "marked-then-paused": (("at_risk", NOW - H, NOW + H, NOW - H / 2, None), ("on_track", None, "at_risk")),
    "paused-before-its-instant": (("on_track", NOW - H, NOW + H, NOW - 2 * H, None), ("on_track", None, "on_track")),
    "breached": (("breached", NOW - 3 * H, NOW - H, None, None), ("breached", None, "breached")),
}


@pytest.fixture(params=BACKENDS)
def blank_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    schema = f"lincah_sla_migration_{os.getpid()}"
    yield _postgres_schema(POSTGRES_URL, schema)
    _postgres_schema(POSTGRES_URL, schema, drop_only=True)


# The definition table as migration 0018 left it: columns added since (content_id, with its default) are not there.
_DEFINITIONS_0018 = Table("service_definition", MetaData(), *(Column(c.name, c.type) for c in
                                                             ServiceDefinition.__table__.columns
                                                             if c.name != "content_id"))


def _fill(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(_DEFINITIONS_0018).values(
            id=1, key="p", version=1, status="published", name_id="P", name_en="P", bpmn_filename="p.bpmn", bpmn="",
            extra_bpmn={}, spec_json="{}", meta={}, forms={}, warnings=[], sha256="0" * 64, deployed_at=NOW))
        for number, (name, ((state, at_risk_at, breached_at, paused_since, alarm), _)) in enumerate(CLOCKS.items(), 1):
            conn.execute(insert(Instance.__table__).values(
                id=number, definition_id=1, service_key="p", registration_no=f"R/{number}", applicant="andi",
                applicant_name="Andi", jurisdiction="sulsel", status="running", state="{}", serializer_version="1",
                revision=1, started_at=NOW - 5 * H, updated_at=NOW, sla="P1D", sla_target_seconds=8 * 3600.0,
                sla_due_at=breached_at, sla_at_risk_at=at_risk_at, sla_breached_at=breached_at, sla_state=state,
                sla_alarm_at=alarm, paused_since=paused_since, paused_seconds=0.0))
            conn.execute(insert(Task.__table__).values(
                id=name, instance_id=number, service_key="p", element_id="review", name="Periksa",
                candidate_groups=["verifier"], for_applicant=False, jurisdiction="sulsel", state="ready",
                decision_choices=[], created_at=NOW - 5 * H, sla="PT4H", sla_pause=False, sla_target_seconds=14400.0,
                due_at=breached_at, at_risk_at=at_risk_at, breached_at=breached_at, sla_state=state,
                sla_alarm_at=alarm, paused_since=paused_since, paused_seconds=0.0))


def _stored(engine) -> dict:
    with engine.connect() as conn:
        tasks = {row.id: (row.sla_state, row.sla_alarm_at) for row in conn.execute(select(Task.__table__))}
        files = {row.registration_no: (row.sla_state, row.sla_alarm_at) for row in conn.execute(select(
            Instance.__table__))}
    # both read back as UTC: Task/Instance columns are UTCDateTime
    return {"tasks": tasks, "files": {name: files[f"R/{n}"] for n, name in enumerate(CLOCKS, 1)}}


def _read(engine) -> dict:
    """The state every reader sees at NOW, worked out in SQL and in Python."""
    with engine.connect() as conn:
        sql = {"tasks": dict(conn.execute(select(Task.id, risk.task_state(NOW))).all()),
               "files": dict(conn.execute(select(Instance.registration_no, risk.file_state(NOW))).all())}
        python = {"tasks": {row.id: risk.of_task(row, NOW) for row in conn.execute(select(Task))},
                  "files": {row.registration_no: risk.of_file(row, NOW) for row in conn.execute(select(Instance))}}
        at_risk = set(conn.scalars(select(Task.id).where(risk.task_at_risk(NOW))))
    files = {name: f"R/{n}" for n, name in enumerate(CLOCKS, 1)}
    assert sql == python
    assert at_risk == {name for name, state in sql["tasks"].items() if state == "at_risk"}
    return {name: (sql["tasks"][name], sql["files"][files[name]]) for name in CLOCKS}


def test_migration_0019_keeps_every_state_people_see_and_moves_the_alarm_to_the_breach(blank_url):
    upgrade(blank_url, "0018")
    engine = make_engine(blank_url)
    try:
        _fill(engine)
        upgrade(blank_url)
        expected = {name: (after[0], after[1]) for name, (_before, after) in CLOCKS.items()}
        assert _stored(engine) == {"tasks": expected, "files": expected}
        assert _read(engine) == {name: (after[2], after[2]) for name, (_before, after) in CLOCKS.items()}

        # Down again: the marks and alarms the old pass would have stored by now.
        command.downgrade(alembic_config(blank_url), "0018")
        before = {name: (before[0], before[4]) for name, (before, _after) in CLOCKS.items()}
        assert _stored(engine) == {"tasks": before, "files": before}
    finally:
        engine.dispose()


def test_a_paused_clock_keeps_the_state_it_stopped_in():
    paused_since = NOW - 2 * H
    assert risk.state("on_track", NOW - 3 * H, paused_since, NOW) == "at_risk"  # at risk before the pause
    assert risk.state("on_track", NOW - H, paused_since, NOW) == "on_track"  # its instant came during the pause
    assert risk.state("on_track", NOW - H, None, NOW) == "at_risk"
    assert risk.state("on_track", NOW + H, None, NOW) == "on_track"
    assert risk.state("on_track", NOW, None, NOW) == "at_risk"  # at risk from the instant itself
    assert risk.state("breached", NOW - H, None, NOW) == "breached"
    assert risk.state(None, None, None, NOW) is None
