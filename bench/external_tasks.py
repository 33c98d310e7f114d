"""External tasks under HTTP load: fetch-and-lock + complete round trips per second, and fetch latency, against
gunicorn with PostgreSQL.

A tiny service waits first of all for a worker: its start event leads to a service task
``camunda:type="external" camunda:topic="bench"`` (input ``nik``, output ``nik_valid``) and then ends. One API client
(topic ``bench``, every office) signs in with HTTP Basic, as Camunda's clients do. ``--templates`` applications are
started through the engine; the others are copies of their rows (``instance`` and the open ``external_task``, every
uuid and registration number renewed, each row a distinct ``available_at``), written with ``COPY``: starting them all
through the engine would cost the measured time per start times the count, which the output shows.

1. **Round trips per second.** For each ``--max-tasks`` value and each worker count in ``--workers``, the table
   first holds ``--waiting`` fetchable tasks (topped up with copies, then ``VACUUM ANALYZE``). N threads — one
   keep-alive ``http.client`` connection each (``http_load.Client``; ``requests`` would take ~0.45 ms more of the
   shared cores per call), worker id ``bench-N`` — loop for ``--seconds``: ``POST
   /engine-rest/external-task/fetchAndLock`` (``maxTasks``, ``lockDuration`` 5 min, the variable ``nik``), then
   ``POST /engine-rest/external-task/{id}/complete`` with ``nik_valid`` for each task got, which ends the application.
   Completions/s = answers 204 ÷ wall time (a thread finishes the tasks it holds when time is up; an empty fetch
   ends it: the row says when tasks ran out). Afterwards the database must hold exactly as many external tasks done
   by the bench client as there were 204s, and as many completed applications.
2. **Fetch latency.** The open tasks are topped up to ``--total`` (default 100,000), ``--locked-share`` of them are
   locked by another worker (their lock runs 1 h), then ``VACUUM ANALYZE``; one client sends sequential fetches
   (``maxTasks`` 1, then 10; each locks what it gets) after a warm-up: ``--latency-requests`` each, fewer when they
   take longer than ``--latency-seconds``. ``GET /engine-rest/external-task/{id}`` (authentication plus one row) is
   the baseline of a trivial request.

gunicorn (``api.wsgi:app``, as ``lincah serve`` runs it) is started on a free port of 127.0.0.1 and always stopped;
nothing else is contacted. The PostgreSQL database (default ``lincah_bench_external``) is created through the
``postgres`` maintenance database when missing and its public schema is dropped and migrated at the start: never point
``--postgres`` at a database you use. Targets (issue 16): ≥ 500 completions/s on 2 cores, fetch p95 ≤ 20 ms. As in
``bench/http_load.py``, each row gives the CPU time gunicorn, PostgreSQL and this client process spent per completion
(read from /proc), which other work on the shared machine does not change, and the rate the cores could sustain at
that cost. Progress goes to stderr, the Markdown tables to stdout.

    python bench/external_tasks.py [--waiting 10000] [--total 100000] [--workers 1,4,16] [--max-tasks 1,10]
                                   [--seconds 15] [--server-workers 2] [--threads 4] [--locked-share 0.5]
                                   [--latency-requests 300] [--latency-seconds 20] [--postgres URL] [--readme]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import http_load  # noqa: E402
import psycopg  # noqa: E402
from http_load import Client, CpuMeter, CpuUse, Server, _cpu_seconds, _stat, log, met, note_load, percentile  # noqa: E402
from http_load_data import _UUID, _columns, _copy_out  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.raw_step import compression_like_lincah  # noqa: E402
from bench.readme_tables import marked  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.forms.schemas import FormSource  # noqa: E402
from engine.integration import clients  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction  # noqa: E402
from engine.storage.models import Instance  # noqa: E402
from engine.workflow.runtime import TaskState  # noqa: E402
from engine.workflow.timeshift import use_clock  # noqa: E402

# Its own database: bench/engine_step.py drops the schema of lincah_bench, and the two may run side by side.
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench_external"
TOPIC = "bench"
CLIENT = "bench-worker"
TARGET_RATE = 500.0
TARGET_P95_MS = 20.0
LOCK_MS = 300_000
WARMUP_SECONDS = 3.0
WARMUP_FETCHES = 10
NIK = "7371010101010001"
DONE_VARIABLES = {"nik_valid": {"value": True, "type": "Boolean"}}
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://lincah.bench">
  <bpmn:process id="nik_bench" name="Cek NIK (bench)" isExecutable="true">
    <bpmn:startEvent id="s" camunda:formKey="apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="check"/>
    <bpmn:serviceTask id="check" name="Cek NIK" camunda:type="external" camunda:topic="bench">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="nik">${nik}</camunda:inputParameter>
        <camunda:outputParameter name="nik_valid"/>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="e"/>
    <bpmn:endEvent id="e" name="NIK sah"/>
  </bpmn:process>
</bpmn:definitions>
"""
FORM = {"type": "object", "properties": {"nik": {"type": "string"}, "phone": {"type": "string"}}}


# -- data -----------------------------------------------------------------------------------------------------------

def deploy(factory, ctx) -> str:
    """Deploy the service; return its key."""
    with transaction(factory) as session:
        definition = definitions.deploy(session, ctx, SourceFile("nik_bench.bpmn", DIAGRAM.encode()), [],
                                        FormSource({"apply.json": json.dumps(FORM).encode()}, []), actor="bench")
        return definition.definition.key


def add_client(factory, ctx) -> str:
    with transaction(factory) as session:
        return clients.add(session, ctx, CLIENT, topics=[TOPIC], actor="bench")[1]


def start_templates(factory, ctx, service: str, count: int) -> tuple[list[int], float]:
    """Applications started through the engine, a transaction each; their ids and the seconds per start."""
    ids, started = [], time.perf_counter()
    for n in range(count):
        with transaction(factory) as session:
            applicant = Actor.of(f"pemohon.bench{n}", ["applicant"], full_name=f"Pemohon {n}")
            ids.append(applications.start(session, ctx, service=service, data={"nik": NIK, "phone": "0812"},
                                          actor=applicant).id)
    return ids, (time.perf_counter() - started) / max(count, 1)


class Cloner:
    """Copies of the template applications, each with its open external task, written with ``COPY``."""

    def __init__(self, conninfo: str, template_ids: list[int]):
        self.conninfo, self.copies = conninfo, 0
        with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
            self.columns = {"instance": _columns(cur, "instance", ("id", "registration_no")),
                            "external_task": _columns(cur, "external_task",
                                                      ("instance_id", "created_at", "available_at"))}
            self.templates = []
            for instance_id in template_ids:
                instance = _copy_out(cur, f"SELECT id, registration_no, {self.columns['instance']} FROM instance"
                                     " WHERE id = %s", (instance_id,))[0]
                tasks = _copy_out(cur, f"SELECT created_at, {self.columns['external_task']} FROM external_task"
                                  " WHERE instance_id = %s AND state = 'open'", (instance_id,))
                if len(tasks) != 1:
                    raise SystemExit(f"template application {instance_id} has {len(tasks)} open external tasks")
                created, task = tasks[0].split("\t", 1)
                self.templates.append({"instance": instance.split("\t", 2)[2], "number": instance.split("\t")[1],
                                       "task": task, "created": datetime.fromisoformat(created)})

    def clone(self, count: int) -> float:
        """Write ``count`` copies; the seconds it took. Each copy's task became available 1 ms before the last."""
        started = time.perf_counter()
        with psycopg.connect(self.conninfo) as conn, conn.cursor() as cur:
            cur.execute("SELECT nextval('instance_id_seq') FROM generate_series(1, %s)", (count,))
            new_ids = [row[0] for row in cur.fetchall()]
            instances, tasks = [], []
            for n, new_id in enumerate(new_ids):
                template = self.templates[n % len(self.templates)]
                number = f"BENCH-EXT/{new_id:08d}"
                fresh: dict[str, str] = {}

                def renew(value: str, template=template, number=number, fresh=fresh) -> str:
                    value = value.replace(template["number"], number)
                    return _UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), value)

                self.copies += 1
                stamp = (template["created"] - timedelta(milliseconds=self.copies)).isoformat(sep=" ")
                instances.append(f"{new_id}\t{number}\t{renew(template['instance'])}\n")
                tasks.append(f"{new_id}\t{stamp}\t{stamp}\t{renew(template['task'])}\n")
            for table, columns, rows in (
                    ("instance", f"id, registration_no, {self.columns['instance']}", instances),
                    ("external_task", f"instance_id, created_at, available_at, {self.columns['external_task']}",
                     tasks)):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write("".join(rows))
        return time.perf_counter() - started


def fetchable(factory) -> int:
    with transaction(factory) as session:
        return session.execute(text("SELECT count(*) FROM external_task WHERE state = 'open' AND topic = :t"
                                    " AND available_at <= now() AT TIME ZONE 'UTC'"), {"t": TOPIC}).scalar()


def top_up(factory, cloner: Cloner, target: int) -> None:
    """Copies until ``target`` tasks are fetchable, then ``VACUUM ANALYZE`` as autovacuum would after such an
    insert (without statistics the planner scans the whole table for each fetch)."""
    missing = target - fetchable(factory)
    if missing > 0:
        seconds = cloner.clone(missing)
        log(f"  +{missing:,} copies in {seconds:.1f} s ({missing / seconds:,.0f}/s)")
    vacuum_analyze(cloner.conninfo)


def lock_share(conninfo: str, share: float) -> int:
    """Lock ``share`` of the open tasks for another worker for an hour (they stay in the table, not fetchable)."""
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute("""
            UPDATE external_task SET worker_id = 'bench-elsewhere', client = %(client)s,
                   lock_expires_at = now() AT TIME ZONE 'UTC' + interval '1 hour',
                   available_at = now() AT TIME ZONE 'UTC' + interval '1 hour'
            WHERE id IN (SELECT id FROM external_task WHERE state = 'open' AND topic = %(topic)s
                         AND available_at <= now() AT TIME ZONE 'UTC' ORDER BY random()
                         LIMIT (SELECT floor(count(*) * %(share)s) FROM external_task
                                WHERE state = 'open' AND topic = %(topic)s))""",
                    {"client": CLIENT, "topic": TOPIC, "share": share})
        return cur.rowcount


def vacuum_analyze(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in ("external_task", "instance", "event"):
            conn.execute(f'VACUUM (ANALYZE) "{table}"')


def database_counts(factory) -> dict:
    with transaction(factory) as session:
        row = session.execute(text(
            "SELECT count(*) FILTER (WHERE state = 'open'), count(*) FILTER (WHERE state = 'open' AND worker_id IS"
            " NOT NULL), count(*) FILTER (WHERE state = 'done' AND client = :c), count(*) FROM external_task"),
            {"c": CLIENT}).one()
        completed = session.execute(text("SELECT count(*) FROM instance WHERE status = 'completed'")).scalar()
    return {"open": row[0], "locked": row[1], "done": row[2], "rows": row[3], "completed": completed}


# -- the raw baseline -----------------------------------------------------------------------------------------------

RAW_TABLE = "bench_raw_external"


@dataclass
class Raw:
    """The floor under a completion, measured in the same run: SpiffWorkflow's own step on this diagram (restore
    the state, complete the external task, run to the end, serialize) with the least durable persistence — the
    state read, written back and committed straight on psycopg — and no HTTP, no bookkeeping, no audit."""

    steps: int
    client_ms: float  # Python CPU per step (this process)
    database_ms: float  # the PostgreSQL backend's CPU per step

    @property
    def cpu_ms(self) -> float:
        return self.client_ms + self.database_ms

    @property
    def ceiling(self) -> float:
        return (os.cpu_count() or 1) * 1000 / self.cpu_ms


def raw_baseline(factory, ctx, conninfo: str, template_id: int, steps: int) -> Raw:
    with transaction(factory) as session:
        instance = session.get(Instance, template_id)
        state, definition_id, spec_json = instance.state, instance.definition_id, instance.definition.spec_json
    spec, subprocess_specs = ctx.codec.load_spec(definition_id, lambda: spec_json)
    with psycopg.connect(conninfo) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        conn.execute(f"CREATE TABLE {RAW_TABLE} (id integer PRIMARY KEY, state text NOT NULL)")
        conn.execute(compression_like_lincah(RAW_TABLE))  # lz4 like Lincah's instance.state
        with conn.cursor().copy(f"COPY {RAW_TABLE} (id, state) FROM STDIN") as copy:
            for key in range(steps):
                copy.write_row((key, state))
        conn.commit()
        backend = conn.info.backend_pid
        database_before, client_before = _cpu_seconds(_stat(backend)), time.process_time()
        for key in range(steps):
            with conn.cursor() as cursor:
                cursor.execute(f"SELECT state FROM {RAW_TABLE} WHERE id = %s", (key,))
                workflow = ctx.codec.load_state(cursor.fetchone()[0], spec, subprocess_specs, ctx.script_engine)
                (task,) = workflow.get_tasks(state=TaskState.STARTED)
                task.data["nik_valid"] = True
                with use_clock(ctx.clock):
                    task.complete()
                    workflow.do_engine_steps()
                if not workflow.is_completed():
                    raise SystemExit("raw baseline: the bench diagram did not end after its external task")
                cursor.execute(f"UPDATE {RAW_TABLE} SET state = %s WHERE id = %s",
                               (ctx.codec.dump_state(workflow), key))
            conn.commit()
        client = time.process_time() - client_before
        database = _cpu_seconds(_stat(backend)) - database_before
        conn.execute(f"DROP TABLE {RAW_TABLE}")
        conn.commit()
    return Raw(steps, client * 1000 / steps, database * 1000 / steps)


# -- HTTP -----------------------------------------------------------------------------------------------------------

def worker_session(port: int, secret: str) -> Client:
    """A worker's keep-alive connection, signed in with HTTP Basic as Camunda's clients do."""
    return Client(port, authorization="Basic " + base64.b64encode(f"{CLIENT}:{secret}".encode()).decode())


def fetch_body(worker_id: str, max_tasks: int) -> dict:
    return {"workerId": worker_id, "maxTasks": max_tasks,
            "topics": [{"topicName": TOPIC, "lockDuration": LOCK_MS, "variables": ["nik"]}]}


def call(session: Client, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
    return session.call("GET" if body is None else "POST", path, body)


# -- 1. round trips -------------------------------------------------------------------------------------------------

@dataclass
class Level:
    max_tasks: int
    workers: int
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    fetches: list[float] = field(default_factory=list)
    completes: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    ran_out: bool = False
    cpu: CpuUse | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def cpu_ms(self) -> tuple[float, float, float]:
        use, count = self.cpu, max(self.ok, 1)
        return use.server * 1000 / count, use.database * 1000 / count, use.clients * 1000 / count

    @property
    def ceiling(self) -> float:
        return (os.cpu_count() or 1) * 1000 / sum(self.cpu_ms())


def run_level(port: int, meter: CpuMeter, secret: str, max_tasks: int, workers: int, seconds: float) -> Level:
    """``workers`` threads fetch and complete until ``seconds`` have passed or a fetch comes back empty."""
    level, lock = Level(max_tasks, workers), threading.Lock()
    barrier = threading.Barrier(workers + 1)
    deadline = [0.0]

    def work(n: int) -> None:
        session, worker_id = worker_session(port, secret), f"bench-{n}"
        fetches, completes, ok, errors, samples = [], [], 0, 0, []
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            status, content, took = call(session, "/engine-rest/external-task/fetchAndLock",
                                         fetch_body(worker_id, max_tasks))
            fetches.append(took)
            if status != 200:
                errors += 1
                samples.append(f"fetch {status} {content[:200]!r}")
                continue
            tasks = json.loads(content)
            if not tasks:
                level.ran_out = True
                break
            for task in tasks:
                if task["variables"].get("nik", {}).get("value") != NIK:
                    errors += 1
                    samples.append(f"fetch without nik: {task['variables']!r}")
                status, content, took = call(session, f"/engine-rest/external-task/{task['id']}/complete",
                                             {"workerId": worker_id, "variables": DONE_VARIABLES})
                completes.append(took)
                if status == 204:
                    ok += 1
                else:
                    errors += 1
                    samples.append(f"complete {status} {content[:200]!r}")
        session.close()
        with lock:
            level.fetches += fetches
            level.completes += completes
            level.ok += ok
            level.errors += errors
            level.error_samples += samples[:3 - len(level.error_samples)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    meter.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    level.seconds = time.perf_counter() - started
    level.cpu = meter.stop()
    return level


def round_trips(args, factory, cloner: Cloner, server: Server, secret: str) -> tuple[list[Level], str]:
    port = server.port
    meter = CpuMeter(server, factory)
    before = database_counts(factory)
    top_up(factory, cloner, args.waiting)
    warmup = run_level(port, meter, secret, 1, 4, WARMUP_SECONDS)
    log(f"warm-up: {warmup.ok} completions, {warmup.errors} errors {warmup.error_samples}")
    if warmup.errors or not warmup.ok:
        raise SystemExit(f"warm-up failed: {warmup.error_samples}")
    levels = []
    note_load("round trips")
    for max_tasks in [int(n) for n in args.max_tasks.split(",")]:
        for workers in [int(n) for n in args.workers.split(",")]:
            top_up(factory, cloner, args.waiting)
            level = run_level(port, meter, secret, max_tasks, workers, args.seconds)
            log(f"  maxTasks {max_tasks}, {workers:>2} workers: {level.ok} completions in {level.seconds:.1f} s = "
                f"{level.rate:.0f}/s, {level.errors} errors {level.error_samples}")
            levels.append(level)
    note_load("round trips")
    after = database_counts(factory)
    answers = warmup.ok + sum(level.ok for level in levels)
    done, completed = after["done"] - before["done"], after["completed"] - before["completed"]
    verdict = "consistent" if answers == done == completed else "**INCONSISTENT**"
    return levels, (f"Database check: {answers:,} answers 204 (warm-up included), {done:,} external tasks done by "
                    f"the bench client, {completed:,} applications completed — {verdict}.")


# -- 2. fetch latency -----------------------------------------------------------------------------------------------

@dataclass
class Latency:
    label: str
    latencies: list[float]
    got: int
    errors: int
    cpu: CpuUse

    def cpu_ms(self) -> tuple[float, float]:
        count = max(len(self.latencies), 1)
        return self.cpu.server * 1000 / count, self.cpu.database * 1000 / count


def measure(port: int, meter: CpuMeter, secret: str, label: str, path: str, body: dict | None, requests_: int,
            seconds: float) -> Latency:
    session = worker_session(port, secret)
    latencies, got, errors, deadline = [], 0, 0, float("inf")
    for n in range(WARMUP_FETCHES + requests_):
        if n == WARMUP_FETCHES:
            meter.start()
            deadline = time.perf_counter() + seconds
        elif len(latencies) >= 20 and time.perf_counter() > deadline:
            break
        status, content, took = call(session, path, body)
        if status != 200:
            errors += 1
        elif n >= WARMUP_FETCHES and body is not None:
            got += len(json.loads(content))
        if n >= WARMUP_FETCHES:
            latencies.append(took)
    cpu = meter.stop()
    session.close()
    return Latency(label, latencies, got, errors, cpu)


def fetch_latency(args, factory, conninfo: str, cloner: Cloner, server: Server, secret: str
                  ) -> tuple[list[Latency], dict]:
    log(f"latency: topping up to {args.total:,} open tasks, locking {args.locked_share:.0%} of them …")
    top_up(factory, cloner, args.total)
    locked = lock_share(conninfo, args.locked_share)
    log(f"  {locked:,} locked elsewhere; VACUUM ANALYZE …")
    vacuum_analyze(conninfo)
    counts = database_counts(factory)
    port = server.port
    meter = CpuMeter(server, factory)
    with transaction(factory) as session:
        some_id = session.execute(text("SELECT id FROM external_task WHERE state = 'open' LIMIT 1")).scalar()
    cases = [("baseline: GET /engine-rest/external-task/{id}", f"/engine-rest/external-task/{some_id}", None)]
    cases += [(f"fetchAndLock, maxTasks {m}", "/engine-rest/external-task/fetchAndLock",
               fetch_body("bench-latency", m)) for m in (1, 10)]
    results = []
    note_load("fetch latency")
    for label, path, body in cases:
        result = measure(port, meter, secret, label, path, body, args.latency_requests, args.latency_seconds)
        log(f"  {label}: p50 {percentile(result.latencies, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(result.latencies, 0.95) * 1000:.1f} ms, {result.errors} errors")
        results.append(result)
    note_load("fetch latency")
    return results, counts


# -- report ---------------------------------------------------------------------------------------------------------

def ms(values: list[float], share: float) -> str:
    return f"{percentile(values, share) * 1000:.1f} ms"


def round_trips_table(levels: list[Level], raw: Raw) -> str:
    """One row per maxTasks and worker count; the last column divides a completion's whole CPU by the raw durable
    step's CPU measured in the same run."""
    rows = ["| maxTasks | workers | completions | errors | completions/s | fetch p50 / p95 | complete p50 / p95 | "
            f"≥ {TARGET_RATE:.0f}/s | CPU per completion: server + PostgreSQL + clients | ÷ raw step |",
            "|---:|---:|---:|---:|---:|---|---|---|---|---:|"]
    for level in levels:
        note = " (tasks ran out)" if level.ran_out else ""
        app, database, clients_ = level.cpu_ms()
        rows.append(f"| {level.max_tasks} | {level.workers} | {level.ok:,}{note} | {level.errors} | "
                    f"{level.rate:.0f} | {ms(level.fetches, 0.5)} / {ms(level.fetches, 0.95)} | "
                    f"{ms(level.completes, 0.5)} / {ms(level.completes, 0.95)} | {met(level.rate >= TARGET_RATE)} | "
                    f"{app:.1f} + {database:.1f} + {clients_:.1f} = {app + database + clients_:.1f} ms | "
                    f"{(app + database + clients_) / raw.cpu_ms:.1f} |")
    return "\n".join(rows)


def latency_table(latencies: list[Latency]) -> str:
    rows = [f"| request | requests | tasks got | errors | p50 | p95 | p95 ≤ {TARGET_P95_MS:.0f} ms | "
            "CPU per request: server + PostgreSQL |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for result in latencies:
        p95 = percentile(result.latencies, 0.95) * 1000
        baseline = result.label.startswith("baseline")
        app, database = result.cpu_ms()
        rows.append(f"| {result.label} | {len(result.latencies)} | {'–' if baseline else f'{result.got:,}'} | "
                    f"{result.errors} | {ms(result.latencies, 0.5)} | {p95:.1f} ms | "
                    f"{'(reference)' if baseline else met(p95 <= TARGET_P95_MS)} | {app:.1f} + {database:.1f} = "
                    f"{app + database:.1f} ms |")
    return "\n".join(rows)


def report(args, seeding: str, raw: Raw, levels: list[Level], check: str, latencies: list[Latency],
           counts: dict | None) -> None:
    if args.readme:  # the README's tables alone, between their markers (bench/readme_tables.py)
        raw_line = (f"Raw durable step in this run: {raw.cpu_ms:.2f} ms of CPU ({raw.client_ms:.2f} Python + "
                    f"{raw.database_ms:.2f} PostgreSQL); ÷ raw step = a completion's whole CPU ÷ this.")
        tables = ([marked("external_tasks:round_trips", "\n\n".join([raw_line, round_trips_table(levels, raw)]))]
                  if levels else []) + ([marked("external_tasks:latency", latency_table(latencies))]
                                        if latencies else [])
        print("\n\n".join(tables))
        return
    loads = "; ".join(f"{part} {start:.1f} → {end:.1f}" for part, (start, end) in http_load.LOADS.items())
    print(f"gunicorn {args.server_workers} workers × {args.threads} thread(s), PostgreSQL, {os.cpu_count()} cores "
          f"shared by server, database and clients; load average (1 min) at start → end: {loads}. {seeding}\n")
    print(f"Raw baseline, measured in this run: SpiffWorkflow's step on the same diagram (state restored, external "
          f"task completed, run to the end, serialized) with its state read, written and committed straight on "
          f"psycopg — no HTTP, no bookkeeping — costs **{raw.cpu_ms:.2f} ms** of CPU ({raw.client_ms:.2f} Python + "
          f"{raw.database_ms:.2f} PostgreSQL; {raw.steps} steps in a row, CPU ÷ steps). Ratios below divide a "
          f"completion's whole CPU (server + PostgreSQL + the bench's clients) by it, which a loaded machine "
          f"changes far less than rates.\n")
    if levels:
        print(f"Fetch-and-lock + complete through `/engine-rest` (HTTP Basic, one keep-alive `http.client` "
              "connection per worker, "
              f"lockDuration {LOCK_MS // 1000} s; {args.waiting:,} fetchable tasks at the start of each row, "
              f"{args.seconds:g} s per row):\n")
        print(round_trips_table(levels, raw))
        best = max(levels, key=lambda level: level.rate)
        print(f"\nBest: {best.rate:.0f} completions/s (maxTasks {best.max_tasks}, {best.workers} workers) — target "
              f"≥ {TARGET_RATE:.0f}/s: {met(best.rate >= TARGET_RATE)}. Projection, not a measurement: "
              f"{os.cpu_count()} idle cores spending only this CPU would do {best.ceiling:.0f} completions/s, and "
              f"{raw.ceiling:.0f} raw steps/s. {check}\n")
    if latencies:
        print(f"Fetch latency, one client, sequential requests after a warm-up; {counts['rows']:,} external-task rows, "
              f"{counts['open']:,} open of which {counts['locked']:,} locked:\n")
        print(latency_table(latencies))
        worst = max(percentile(r.latencies, 0.95) for r in latencies if not r.label.startswith("baseline")) * 1000
        print(f"\nWorst fetch p95: {worst:.1f} ms — target ≤ {TARGET_P95_MS:.0f} ms: {met(worst <= TARGET_P95_MS)}.")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] + " " + __doc__.splitlines()[1])
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_EXTERNAL_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="bench database on 127.0.0.1 (its public schema is dropped!)")
    parser.add_argument("--waiting", type=int, default=10_000, help="fetchable tasks at the start of each row")
    parser.add_argument("--total", type=int, default=100_000, help="open tasks in the table for the fetch latency")
    parser.add_argument("--locked-share", type=float, default=0.5,
                        help="share of the open tasks locked by another worker during the fetch latency")
    parser.add_argument("--workers", default="1,4,16", help="concurrent worker threads, one row each")
    parser.add_argument("--max-tasks", default="1,10", help="maxTasks of each fetch (1..10), rows for each")
    parser.add_argument("--seconds", type=float, default=15, help="duration of each row")
    parser.add_argument("--templates", type=int, default=20, help="applications started through the engine")
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (0: sync workers)")
    parser.add_argument("--latency-requests", type=int, default=300, help="measured requests per latency case")
    parser.add_argument("--latency-seconds", type=float, default=20, help="time budget per latency case")
    parser.add_argument("--raw-steps", type=int, default=300, help="steps of the raw baseline")
    parser.add_argument("--skip-round-trips", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--readme", action="store_true", help="print only the README's tables, with their markers")
    args = parser.parse_args()
    if not all(1 <= int(n) <= 100 for n in args.max_tasks.split(",")):
        parser.error("--max-tasks: whole numbers from 1 to 100")
    return args


def main() -> None:
    args = parse_args()
    http_load.check_local(args.postgres)
    started = time.perf_counter()
    levels, check, latencies, counts = [], "", [], None
    with tempfile.TemporaryDirectory() as tmp:
        instance_path = Path(tmp) / "instance"
        log("database: reset and migrate …")
        http_load.reset_database(args.postgres)
        ctx = EngineContext(settings=Settings(database_url=args.postgres, instance_path=instance_path))
        factory = make_session_factory(make_engine(args.postgres))
        conninfo = http_load.libpq_conninfo(args.postgres)
        service = deploy(factory, ctx)
        secret = add_client(factory, ctx)
        templates, per_start = start_templates(factory, ctx, service, args.templates)
        raw = raw_baseline(factory, ctx, conninfo, templates[0], args.raw_steps)
        log(f"raw baseline: {raw.cpu_ms:.2f} ms CPU per step ({raw.client_ms:.2f} + {raw.database_ms:.2f})")
        cloner = Cloner(conninfo, templates)
        probe = cloner.clone(1000)
        seeding = (f"Seeding: {args.templates} applications started through the engine at {per_start * 1000:.1f} ms "
                   f"each (all {args.total:,} that way: ~{per_start * args.total / 60:.0f} min), the rest copied "
                   f"with COPY at {1000 / probe:,.0f}/s.")
        log(seeding)
        with http_load.gunicorn(args.postgres, instance_path, Path(tmp) / "gunicorn.log", args.server_workers,
                                args.threads) as server:
            if not args.skip_round_trips:
                levels, check = round_trips(args, factory, cloner, server, secret)
            if not args.skip_latency:
                latencies, counts = fetch_latency(args, factory, conninfo, cloner, server, secret)
    log(f"whole run: {time.perf_counter() - started:.0f} s")
    report(args, seeding, raw, levels, check, latencies, counts)


if __name__ == "__main__":
    main()
