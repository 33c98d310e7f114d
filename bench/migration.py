"""Moving running applications to a new version: dry run and migration of many research-permit applications on
PostgreSQL (issue 20: dry run of 10,000 ≤ 10 s, migration ≥ 200 applications/s on 2 cores).

A few applications are started by the engine and wait at verification; ``bench/http_load_data.py`` copies them
(state, open task, candidates) under new ids to ``--applications``. Version 2 of the service renames the verification
step. Then, measured in this run: the dry run over all of them (``engine.casework.migration_batch.dry_run``, one
session) and the run (one transaction per application, as ``lincah migrate run`` does), and for scale the cost of
one ordinary step (an officer completing a task, ``engine.casework.tasks.complete``) on the same database, so the
figures read as ratios on a busy machine. The database (default ``lincah_bench_migration``) is created when missing
and its public schema dropped and migrated at the start: never point ``--postgres`` at a database you use.

    python bench/migration.py [--applications 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_load import check_local, deploy_services, libpq_conninfo, reset_database  # noqa: E402
from http_load_data import clone_applications  # noqa: E402
from sqlalchemy import select  # noqa: E402

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, migration, migration_batch, tasks  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction  # noqa: E402
from engine.storage.models import Task  # noqa: E402
from tests import samples  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench_migration"
BPMN = ROOT / "processes" / "research_permit.bpmn"
APPLICANT = Actor.of("andi", ["applicant"], full_name="Andi")
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--templates", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_MIGRATION_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()
    check_local(args.postgres)
    reset_database(args.postgres)
    engine = make_engine(args.postgres, pool_size=4)
    factory = make_session_factory(engine)
    with tempfile.TemporaryDirectory() as folder:
        ctx = EngineContext(settings=Settings(database_url=args.postgres, instance_path=Path(folder),
                                              live_workflows=0))
        deploy_services(factory, ctx)
        templates = []
        for _ in range(args.templates):
            with transaction(factory) as session:
                data = samples.research_application()
                templates.append(applications.start(session, ctx, service="research_permit", data=data,
                                                    actor=APPLICANT).id)
        print(f"copying to {args.applications} applications …", file=sys.stderr, flush=True)
        clone_applications(libpq_conninfo(args.postgres), templates, args.applications - len(templates))
        changed = BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
        with transaction(factory) as session:
            definitions.deploy(session, ctx, SourceFile(BPMN.name, changed.encode()), [],
                               definitions.form_source(ctx, BPMN), actor="bench")
            plan = migration.default_plan(session, ctx, "research_permit", 1, 2)

        step_ms = _one_step_ms(factory, ctx)
        began = time.perf_counter()
        with transaction(factory) as session:
            dry = migration_batch.dry_run(session, ctx, plan)
        dry_s = time.perf_counter() - began
        print(f"dry run: {dry.movable} of {len(dry.verdicts)} can move in {dry_s:.1f} s; migrating …",
              file=sys.stderr, flush=True)
        began = time.perf_counter()
        report = migration_batch.run(factory, ctx, plan, actor="bench")
        run_s = time.perf_counter() - began
    engine.dispose()
    rate = len(report.moved) / run_s if run_s else 0.0
    per_app_ms = 1000 * run_s / max(len(report.moved), 1)
    print("| migration, research permit v1 → v2 (PostgreSQL) | measured | target |\n|---|---|---|")
    print(f"| applications waiting at verification | {len(dry.verdicts)} | 10,000 |")
    print(f"| dry run, all of them | {dry_s:.1f} s ({1000 * dry_s / max(len(dry.verdicts), 1):.2f} ms each) "
          f"| ≤ 10 s |")
    print(f"| migration | {rate:.0f} applications/s ({len(report.moved)} moved, {len(report.refused)} stayed) "
          f"| ≥ 200/s |")
    print(f"| one move ÷ one officer's step, same run | {per_app_ms:.1f} ms ÷ {step_ms:.1f} ms = "
          f"{per_app_ms / step_ms:.2f} | |")


def _one_step_ms(factory, ctx, samples_count: int = 10) -> float:
    """The median time of an officer's completion of verification on this database (the scale of a step)."""
    times = []
    with transaction(factory) as session:
        task_ids = list(session.scalars(select(Task.id).where(Task.element_id == "Task_Verify",
                                                              Task.state == "ready").limit(samples_count)))
    for task_id in task_ids:
        began = time.perf_counter()
        with transaction(factory) as session:
            tasks.complete(session, ctx, task_id, VERIFIER, samples.VERIFIED, decision="Setujui")
        times.append(1000 * (time.perf_counter() - began))
    times.sort()
    return times[len(times) // 2]


if __name__ == "__main__":
    main()
