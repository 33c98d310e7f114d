"""What the managers' outcome report costs, and how fast the SMS/WhatsApp adapter drains the outbox.

1. ``--files`` ended research-permit files (issued, rejected, withdrawn; a third of them returned once, so with time
   held by the applicant) and their steps are stored in bulk, then ``engine.reporting.outcomes`` for one month and the
   SLA report for the same month are timed (``--runs`` each, median printed), on SQLite and PostgreSQL.
2. ``--notices`` SMS rows are queued and sent by the scheduler's job through ``HttpGateway`` to a fake gateway on
   127.0.0.1 (no network beyond this machine); notices per second printed.

PostgreSQL runs in a database of its own (``lincah_bench_outcomes``, dropped and created through the admin URL).

    python bench/outcomes.py [--files 20000] [--runs 5] [--notices 500] [--databases sqlite postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bench import raw_step  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.messaging import notifications  # noqa: E402
from engine.messaging.channels import Channels, GatewaySettings, HttpGateway  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.reporting import outcomes, reports  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Instance, Task  # noqa: E402
from scheduler import jobs  # noqa: E402
from tests.fake_gateway import fake_gateway  # noqa: E402

NOW = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
JUNE = reports.ReportQuery(date_from=datetime(2026, 6, 1, tzinfo=UTC), date_to=datetime(2026, 7, 1, tzinfo=UTC))
BOSS = Actor.of("boss", ["manager"], [], ["*"])
BENCH_DB = "lincah_bench_outcomes"


def _postgres_url(admin_url: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def _task(instance_id: int, element_id: str, decision, began, seconds: float, *, applicant: bool) -> dict:
    return {"id": str(uuid.uuid4()), "instance_id": instance_id, "service_key": "research_permit",
            "element_id": element_id, "name": element_id, "jurisdiction": "sulsel", "state": "completed",
            "decision": decision, "created_at": began, "completed_at": began + timedelta(hours=2),
            "working_seconds": seconds, "sla_state": None if applicant else "met", "for_applicant": applicant,
            "sla_pause": applicant, "candidate_groups": [] if applicant else ["verifier"]}


def _store(factory, ctx, files: int) -> None:
    path = ROOT / "processes" / "research_permit.bpmn"
    with transaction(factory) as session:
        definition = definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                                        definitions.form_source(ctx, path), actor="bench").definition
        definition_id = definition.id
    outcomes_cycle = (("completed", "Izin diterbitkan", "Setujui"), ("completed", "Permohonan ditolak", "Tolak"),
                      ("cancelled", None, None))
    for start in range(0, files, 2000):
        instances, tasks = [], []
        for number in range(start, min(start + 2000, files)):
            status, outcome, decision = outcomes_cycle[number % 3]
            began = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=number % 40000)
            ended = began + timedelta(hours=6)
            paused = 14 * 3600.0 if number % 3 == 1 else 0.0
            instances.append({"id": number + 1, "definition_id": definition_id, "service_key": "research_permit",
                              "registration_no": f"B/{number:07d}", "applicant": "andi", "applicant_name": "Andi",
                              "jurisdiction": ("sulsel", "sinjai", "bone")[number % 3], "status": status,
                              "outcome": outcome, "state": "{}", "serializer_version": "bench", "revision": 1,
                              "started_at": began, "updated_at": ended, "ended_at": ended,
                              "sla_state": "met" if number % 4 else "missed", "working_seconds": 6 * 3600.0,
                              "paused_seconds": paused})
            if decision:
                tasks.append(_task(number + 1, "Task_Verify", decision, began, 7200.0, applicant=False))
            if paused:
                tasks.append(_task(number + 1, "Task_Revise", None, began, paused, applicant=True))
        with transaction(factory) as session:
            session.execute(insert(Instance.__table__), instances)
            session.execute(insert(Task.__table__), tasks)


def _median_ms(work, runs: int) -> float:
    taken = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        taken.append((time.perf_counter() - began) * 1000)
    return statistics.median(taken)


def _report(factory, ctx, runs: int) -> tuple[float, float, int]:
    def read_outcomes():
        with transaction(factory) as session:
            return outcomes.outcomes(session, ctx, BOSS, JUNE)

    def read_sla():
        with transaction(factory) as session:
            return reports.sla_report(session, ctx, BOSS, JUNE)

    ended = read_outcomes().files[0].ended
    return _median_ms(read_outcomes, runs), _median_ms(read_sla, runs), ended


def _gateway(factory, ctx, notices: int) -> float:
    with transaction(factory) as session:
        notifications.enqueue(session, ctx, [notifications.Message(
            kind="application_received", recipient="andi", subject="Permohonan diterima / Application received",
            body="Nomor registrasi DPMPTSP/IP/2026/00001", channel="sms", phone="+6281234567890",
            dedupe_key=f"bench:{n}") for n in range(notices)])
    with fake_gateway() as gateway:
        channels = Channels({"sms": HttpGateway(GatewaySettings(url=gateway.url))})
        began = time.perf_counter()
        sent = 0
        while sent < notices:
            sent += jobs.send_notifications(factory, ctx, channels, max_batches=100).sent
        return notices / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notices", type=int, default=500)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    reference = raw_step.measure()
    print(reference.line())
    for backend in args.databases:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db" if backend == "sqlite" else _postgres_url(args.postgres_admin)
            upgrade(url)
            engine = make_engine(url)
            factory = make_session_factory(engine)
            ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)),
                                clock=FrozenClock(NOW))
            _store(factory, ctx, args.files)
            outcome_ms, sla_ms, ended = _report(factory, ctx, args.runs)
            rate = _gateway(factory, ctx, args.notices)
            print(f"{backend}: {ended} ended files in June — outcomes {outcome_ms:.0f} ms, SLA report {sla_ms:.0f} ms "
                  f"(median of {args.runs}; {reference.times(outcome_ms):.0f} / {reference.times(sla_ms):.0f} × raw "
                  f"step); SMS through the HTTP gateway adapter {rate:.0f} notices/s "
                  f"({1000 / rate / reference.ms:.1f} × raw step per notice)")
            engine.dispose()


if __name__ == "__main__":
    main()
