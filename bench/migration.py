"""Moving running applications to a new version: dry run and migration of many research-permit applications
(issue 20: dry run of 10,000 ≤ 10 s, migration ≥ 200 applications/s on 2 cores), on PostgreSQL or SQLite.

A few applications are started by the engine and wait at verification, then copied (state, open task, candidates)
under new ids to ``--applications`` (on PostgreSQL by ``bench/http_load_data.py``'s COPY). Measured in this run:

- the dry run over all of them (``engine.casework.migration_batch.dry_run``, one session);
- version 1 → 2, which renames the verification step (only what people see changes, so each state is rewritten as
  JSON), as ``lincah migrate run`` does it: 50 applications per transaction;
- version 2 → 3, which changes the permit-number script (the graph differs, so each application takes the full
  path: its workflow restored on the new spec, the unreached tasks predicted again, the state dumped);
- for scale, an officer's step (``engine.casework.tasks.complete`` of a verification) on the same database, so the
  figures read as ratios on a busy machine. Each migration prints its rate, the median milliseconds per application
  of its batches, and the load average around it.

The PostgreSQL database (default ``lincah_bench_migration``) is created when missing and its public schema dropped
and migrated at the start: never point ``--postgres`` at a database you use. ``--sqlite`` uses a new file in a
temporary folder instead.

    python bench/migration.py [--applications 10000] [--postgres URL | --sqlite]
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_load import check_local, deploy_services, libpq_conninfo, reset_database  # noqa: E402
from http_load_data import clone_applications  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, migration, migration_batch, tasks  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Task  # noqa: E402
from tests import samples  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench_migration"
BPMN = ROOT / "processes" / "research_permit.bpmn"
APPLICANT = Actor.of("andi", ["applicant"], full_name="Andi")
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--templates", type=int, default=20)
    parser.add_argument("--steps", type=int, default=21, help="officer's steps timed for the scale (median)")
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_MIGRATION_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--sqlite", action="store_true", help="a new SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.sqlite:
            url = f"sqlite:///{folder}/bench.db"
            upgrade(url)
        else:
            url = args.postgres
            check_local(url)
            reset_database(url)
        engine = make_engine(url, pool_size=4) if not args.sqlite else make_engine(url)
        factory = make_session_factory(engine)
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder), live_workflows=0))
        deploy_services(factory, ctx)
        templates = []
        for _ in range(args.templates):
            with transaction(factory) as session:
                templates.append(applications.start(session, ctx, service="research_permit",
                                                    data=samples.research_application(), actor=APPLICANT).id)
        print(f"copying to {args.applications} applications …", file=sys.stderr, flush=True)
        if args.sqlite:
            _clone_sqlite(f"{folder}/bench.db", templates, args.applications - len(templates))
        else:
            clone_applications(libpq_conninfo(url), templates, args.applications - len(templates))
            # Statistics, as autovacuum would gather them after such an import: without them the planner reads the
            # batch's open task rows through the index of all open tasks (20 ms instead of 0.2 ms per batch).
            with engine.connect() as conn:
                conn.execute(text("ANALYZE instance, task, task_candidate"))
        step_ms = _one_step_ms(factory, ctx, args.steps)
        renamed = BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
        plan = _deploy(factory, ctx, renamed, 1, 2)
        began = time.perf_counter()
        with transaction(factory) as session:
            dry = migration_batch.dry_run(session, ctx, plan)
        dry_s = time.perf_counter() - began
        print(f"dry run: {dry.movable} of {len(dry.verdicts)} can move in {dry_s:.1f} s; migrating …",
              file=sys.stderr, flush=True)
        rewrite = _migrate(factory, ctx, plan)
        script = renamed.replace("<bpmn:script>issued = True</bpmn:script>",
                                 "<bpmn:script>issued = True\nnumbered = True</bpmn:script>", 1)
        full = _migrate(factory, ctx, _deploy(factory, ctx, script, 2, 3))
        engine.dispose()
    database = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"{len(dry.verdicts)} applications waiting at verification ({database}); dry run of all of them: "
          f"{dry_s:.1f} s ({1000 * dry_s / max(len(dry.verdicts), 1):.2f} ms each; target ≤ 10 s for 10,000); "
          f"an officer's step: {step_ms:.1f} ms (median of {args.steps})\n")
    print("| migration | applications/s (target ≥ 200) | median per application | ÷ an officer's step "
          "| load average (before → after) |\n|---|---|---|---|---|")
    for label, figures in (("v1 → v2, a step renamed (state rewritten)", rewrite),
                           ("v2 → v3, a script changed (workflow restored)", full)):
        print(f"| {label} | {figures['rate']:.0f} ({figures['moved']} moved, {figures['stayed']} stayed) "
              f"| {figures['median_ms']:.2f} ms | {figures['median_ms'] / step_ms:.2f} "
              f"| {figures['load'][0]:.1f} → {figures['load'][1]:.1f} |")


def _deploy(factory, ctx, bpmn: str, source: int, target: int) -> migration.Plan:
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile(BPMN.name, bpmn.encode()), [],
                           definitions.form_source(ctx, BPMN), actor="bench")
        return migration.default_plan(session, ctx, "research_permit", source, target)


def _migrate(factory, ctx, plan: migration.Plan) -> dict:
    """Run the plan as ``lincah migrate run`` does; the rate, the median per application of its batches, the load
    average before and after."""
    batches: list[tuple[float, int]] = []
    last = [time.perf_counter()]

    def lap(done: int) -> None:
        now = time.perf_counter()
        batches.append(((now - last[0]) / max(done, 1), done))
        last[0] = now

    load = os.getloadavg()[0]
    began = time.perf_counter()
    report = migration_batch.run(factory, ctx, plan, actor="bench", progress=lap)
    run_s = time.perf_counter() - began
    return {"rate": len(report.moved) / run_s if run_s else 0.0, "moved": len(report.moved),
            "stayed": len(report.refused), "load": (load, os.getloadavg()[0]),
            "median_ms": 1000 * statistics.median(per_app for per_app, _ in batches) if batches else 0.0}


def _one_step_ms(factory, ctx, count: int) -> float:
    """The median time of an officer's completion of verification on this database (the scale of a step)."""
    times = []
    with transaction(factory) as session:
        task_ids = list(session.scalars(select(Task.id).where(Task.element_id == "Task_Verify",
                                                              Task.state == "ready").limit(count)))
    for task_id in task_ids:
        began = time.perf_counter()
        with transaction(factory) as session:
            tasks.complete(session, ctx, task_id, VERIFIER, samples.VERIFIED, decision="Setujui")
        times.append(1000 * (time.perf_counter() - began))
    return statistics.median(times)


def _clone_sqlite(path: str, template_ids: list[int], count: int) -> None:
    """``count`` copies of the template applications and their open tasks, every task id new (SQLite's side of
    ``http_load_data.clone_applications``)."""
    with sqlite3.connect(path) as conn:
        def rows(sql: str, *args) -> tuple[list[str], list[tuple]]:
            cursor = conn.execute(sql, args)
            return [d[0] for d in cursor.description], cursor.fetchall()

        templates = []
        for instance_id in template_ids:
            columns, (instance,) = rows("SELECT * FROM instance WHERE id = ?", instance_id)
            task_columns, open_tasks = rows("SELECT * FROM task WHERE instance_id = ? AND state IN ('ready', "
                                            "'claimed')", instance_id)
            _, candidates = rows("SELECT c.task_id, c.group_name FROM task_candidate c JOIN task t ON t.id = "
                                 "c.task_id WHERE t.instance_id = ? AND t.state IN ('ready', 'claimed')", instance_id)
            templates.append((dict(zip(columns, instance, strict=True)),
                              [dict(zip(task_columns, task, strict=True)) for task in open_tasks], candidates))
        first = conn.execute("SELECT max(id) FROM instance").fetchone()[0] + 1
        instances, task_rows, candidate_rows = [], [], []
        for n in range(count):
            instance, open_tasks, candidates = templates[n % len(templates)]
            new_id, number, fresh = first + n, f"BENCH-MIG/{first + n:08d}", {}

            def renew(value, number=number, fresh=fresh, old=instance["registration_no"]):
                if not isinstance(value, str):
                    return value
                value = value.replace(old, number)
                return _UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), value)

            instances.append({**{k: renew(v) for k, v in instance.items()}, "id": new_id})
            task_rows.extend({**{k: renew(v) for k, v in task.items()}, "instance_id": new_id} for task in open_tasks)
            candidate_rows.extend((renew(task_id), group) for task_id, group in candidates)
        for table, batch in (("instance", instances), ("task", task_rows)):
            names = list(batch[0])
            conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                             [tuple(row[name] for name in names) for row in batch])
        conn.executemany("INSERT INTO task_candidate (task_id, group_name) VALUES (?, ?)", candidate_rows)


if __name__ == "__main__":
    main()
