"""Message correlation by business key with 100,000 applications waiting, on SQLite and PostgreSQL.

``POST /engine-rest/message`` with a ``businessKey`` finds its application by one indexed lookup in
``waiting_event`` (``engine.integration.message_rows``) and advances it in one step (load, catch, run, save,
reconcile, audit). Here ``--waiting`` applications wait for the message ``payment_received``: ``--real`` of them
started through the engine, the rest copied in bulk (instance rows and their waiting rows). Each correlation targets
a different real application, in a transaction of its own, as a request would; the p95 is printed for the lookup
alone and for the whole correlation, with the Python CPU per correlation (on SQLite that includes the database,
which runs in-process) — a figure a loaded machine changes far less than the wall clock.

The raw baseline, measured in the same run on the same database: the least a durable correlation of stock
SpiffWorkflow does — read the state by key, restore it, catch the message, run to the next wait, serialize, write
it back, commit — straight on the driver, without lookup, bookkeeping or audit. The last columns divide by it.

PostgreSQL runs in a database of its own (``lincah_bench_messages``, dropped and created through the admin URL).

    python bench/message_correlation.py [--waiting 100000] [--real 300] [--databases sqlite postgresql] [--readme]
                                        [--postgres-admin URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from bench.raw_step import compression_like_lincah  # noqa: E402
from bench.readme_tables import marked  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, waiting  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.forms.schemas import FormSource  # noqa: E402
from engine.integration import message_rows, messages  # noqa: E402
from engine.integration.clients import Caller  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Instance  # noqa: E402
from engine.storage.waiting_events import MESSAGE, WaitingEvent  # noqa: E402
from engine.workflow.timeshift import use_clock  # noqa: E402

NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)
BENCH_DB = "lincah_bench_messages"
BANK = Caller("bank", frozenset(), frozenset({"payment_received"}), frozenset())
APPLICANT = Actor.of("andi", ["applicant"], full_name="Andi")
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://lincah.bench">
  <bpmn:process id="pay" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="paid"/>
    <bpmn:intermediateCatchEvent id="paid" name="Lunas">
      <bpmn:extensionElements><camunda:inputOutput><camunda:outputParameter name="amount"/>
      </camunda:inputOutput></bpmn:extensionElements>
      <bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="paid" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>
  </bpmn:process>
  <bpmn:message id="m" name="payment_received"/>
</bpmn:definitions>
"""


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000


def _fill(factory, ctx: EngineContext, waiting_count: int, real: int) -> list[str]:
    """Deploy, start ``real`` applications, copy the rest in bulk; return the real ones' registration numbers."""
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile("pay.bpmn", DIAGRAM.encode()), [], FormSource({}, []),
                           actor="bench")
    numbers = []
    for _ in range(real):
        with transaction(factory) as session:
            numbers.append(applications.start(session, ctx, service="pay", data={}, actor=APPLICANT).registration_no)
    with transaction(factory) as session:
        model = session.scalars(select(Instance).limit(1)).one()
        row = {c.key: getattr(model, c.key) for c in Instance.__table__.columns if c.key != "id"}
        template = session.scalars(select(WaitingEvent).limit(1)).one()
        wait = {c.key: getattr(template, c.key) for c in WaitingEvent.__table__.columns if c.key != "id"}
    copies = waiting_count - real
    chunk = 5_000
    for start in range(0, copies, chunk):
        with transaction(factory) as session:
            count = min(chunk, copies - start)
            first_id = session.execute(
                insert(Instance).returning(Instance.id),
                [{**row, "registration_no": f"bulk/pay/2026/{start + i:06d}"} for i in range(count)]).scalars().all()
            session.execute(insert(WaitingEvent), [
                {**wait, "instance_id": instance_id, "business_key": f"bulk/pay/2026/{start + i:06d}",
                 "task_id": f"bulk-{start + i}"} for i, instance_id in enumerate(first_id)])
    return numbers


RAW_TABLE = "bench_raw_message"


def _raw_baseline(engine, factory, ctx: EngineContext, numbers: list[str]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of the raw durable step (see the module's doc), once per real application's state."""
    with transaction(factory) as session:
        instances = session.scalars(select(Instance).where(Instance.registration_no.in_(numbers))).all()
        spec, subprocess_specs = ctx.codec.load_spec(instances[0].definition_id,
                                                     lambda: instances[0].definition.spec_json)
        session.execute(text(f"DROP TABLE IF EXISTS {RAW_TABLE}"))
        session.execute(text(f"CREATE TABLE {RAW_TABLE} (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))
        if session.bind.dialect.name == "postgresql":
            session.execute(text(compression_like_lincah(RAW_TABLE)))
        session.execute(text(f"INSERT INTO {RAW_TABLE} (id, state) VALUES (:id, :state)"),
                        [{"id": instance.id, "state": instance.state} for instance in instances])
        keys = [instance.id for instance in instances]
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    connection = engine.raw_connection()
    walls, cpus = [], []
    try:
        for key in keys:
            started, cpu = time.perf_counter(), time.process_time()
            cursor = connection.cursor()
            if sqlite:  # Lincah's SQLite connections leave beginning a transaction to the caller
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(f"SELECT state FROM {RAW_TABLE} WHERE id = {mark}", (key,))
            workflow = ctx.codec.load_state(cursor.fetchone()[0], spec, subprocess_specs, ctx.script_engine)
            (target,) = waiting.find(workflow, MESSAGE, "payment_received")
            waiting.deliver(ctx, target, {"amount": 150000})
            with use_clock(ctx.clock):
                workflow.do_engine_steps()
            cursor.execute(f"UPDATE {RAW_TABLE} SET state = {mark} WHERE id = {mark}",
                           (ctx.codec.dump_state(workflow), key))
            cursor.close()
            connection.commit()
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
    finally:
        connection.close()
    with transaction(factory) as session:
        session.execute(text(f"DROP TABLE {RAW_TABLE}"))
    return walls, cpus


def _measure(url: str, waiting_count: int, real: int) -> dict:
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with tempfile.TemporaryDirectory() as folder:
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)), clock=FrozenClock(NOW))
        numbers = _fill(factory, ctx, waiting_count, real)
        if url.startswith("postgresql"):
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        raw_walls, raw_cpus = _raw_baseline(engine, factory, ctx, numbers)
        lookups, correlations, cpus = [], [], []
        for number in numbers:
            started = time.perf_counter()
            with transaction(factory) as session:
                message_rows.waiting_by_business_key(session, MESSAGE, "payment_received", number, frozenset())
            lookups.append(time.perf_counter() - started)
            started, cpu = time.perf_counter(), time.process_time()
            with transaction(factory) as session:
                (result,) = messages.correlate(session, ctx, BANK, "payment_received", business_key=number,
                                               process_variables={"amount": {"value": 150000}})
            correlations.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            assert result.instance.status == "running"  # now at the review, past the message
        with transaction(factory) as session:
            rows = session.scalar(select(text("count(*)")).select_from(WaitingEvent))
    engine.dispose()
    return {"rows": rows, "lookup_p95": _p95(lookups), "correlation_p95": _p95(correlations),
            "correlation_median": statistics.median(correlations) * 1000, "cpu_median": statistics.median(cpus) * 1000,
            "raw_median": statistics.median(raw_walls) * 1000, "raw_cpu_median": statistics.median(raw_cpus) * 1000}


def _postgres_url(admin_url: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")  # no statement timeout: DROP DATABASE may wait
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


HEADER = ("| database | waiting rows | lookup p95 (ms) | correlation median (ms) | correlation p95 (ms) | p95 ≤ 20 ms "
          "| Python CPU per correlation, median (ms) | raw step median: wall / CPU (ms) | median ÷ raw: wall / CPU |\n"
          "|---|---:|---:|---:|---:|---|---:|---:|---:|")


def row(database: str, found: dict) -> str:
    """One database's line of the table; the last columns divide by the raw durable step of the same run."""
    return (f"| {database} | {found['rows']:,} | {found['lookup_p95']:.2f} | {found['correlation_median']:.2f} | "
            f"{found['correlation_p95']:.2f} | {'yes' if found['correlation_p95'] <= 20 else '**no**'} | "
            f"{found['cpu_median']:.2f} | {found['raw_median']:.2f} / {found['raw_cpu_median']:.2f} | "
            f"{found['correlation_median'] / found['raw_median']:.1f} / "
            f"{found['cpu_median'] / found['raw_cpu_median']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--waiting", type=int, default=100_000)
    parser.add_argument("--real", type=int, default=300)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--readme", action="store_true", help="print only the README's table, with its markers")
    args = parser.parse_args()
    # The README's table is the table alone: the load average goes to stderr then, as progress.
    notes = sys.stderr if args.readme else sys.stdout
    print(f"Load average (1 min) at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n", file=notes)
    rows = []
    if not args.readme:
        print(HEADER)
    for database in args.databases:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db" if database == "sqlite" else _postgres_url(args.postgres_admin)
            rows.append(row(database, _measure(url, args.waiting, args.real)))
        print(rows[-1], file=notes, flush=True)
    print(f"\nLoad average (1 min) at the end: {os.getloadavg()[0]:.1f}.", file=notes)
    if args.readme:
        print(marked("message_correlation", "\n".join([HEADER, *rows])))


if __name__ == "__main__":
    main()
