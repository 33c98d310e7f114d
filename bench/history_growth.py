"""Does a step's cost and the stored state grow with a file's history? With and without compaction.

Research permit applications that went through 1, 10 and 50 revision loops (verify → return for revision → the
applicant answers) and wait at verification again; the timed step is that verification, "return for revision",
through ``engine.casework.tasks.complete`` in a committed transaction. Each application is restored from the
database for its step (``LINCAH_LIVE_WORKFLOWS=0``: a file's next step usually comes days later, in another process),
once with ``LINCAH_COMPACT_HISTORY=1`` (engine/workflow/compaction.py; the applications were prepared with it too)
and once with it off, on separate applications. The modes and loop counts take turns in blocks of ``BLOCK`` steps so
that a shared machine's ups and downs fall on all alike.

Prints the stored state's size and the median step per loop count and mode, the growth after 50 loops ÷ after 1
(targets: state ≤ 2×, step ≤ 1.3×; the step also in this process's CPU time, which on PostgreSQL leaves out the
server's), and the raw SpiffWorkflow step of the same run (bench/raw_step.py) with every
step as a multiple of it.

``--readme`` prints only the README's tables, between their markers (``bench/readme_tables.py``, ``make bench``).

    python bench/history_growth.py [--samples 16] [--postgres URL|none] [--readme]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import raw_step  # noqa: E402
from bench.engine_step import database  # noqa: E402
from bench.readme_tables import marked  # noqa: E402
from engine.casework import tasks  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.storage.db import transaction  # noqa: E402
from engine.storage.models import Instance  # noqa: E402
from engine.workflow.live_workflows import LiveWorkflows  # noqa: E402

LOOPS = (1, 10, 50)
MODES = ("off", "on")  # LINCAH_COMPACT_HISTORY
BLOCK = 4
# A database of its own: other benches drop and refill theirs (``lincah_bench``), possibly at the same time.
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench_history"


def _contexts(url: str) -> dict[str, EngineContext]:
    base = EngineContext(settings=Settings(database_url=url, live_workflows=0), live=LiveWorkflows(0))
    return {mode: EngineContext(settings=dataclasses.replace(base.settings, compact_history=mode == "on"),
                                codec=base.codec, script_engine=base.script_engine, live=LiveWorkflows(0))
            for mode in MODES}


def _step(factory, ctx, instance_id: int) -> tuple[float, float]:
    """One committed step: its wall-clock and this process's CPU time, in seconds."""
    task_id = raw_step.open_task(factory, instance_id)
    started, cpu = time.perf_counter(), time.process_time()
    with transaction(factory) as session:
        tasks.complete(session, ctx, task_id, raw_step.VERIFIER, raw_step.VERIFY_DATA, raw_step.RETURN)
    return time.perf_counter() - started, time.process_time() - cpu


def run_backend(name: str, url: str | None, samples: int, tmp: Path) -> dict:
    factory, url = database(url, tmp)
    contexts = _contexts(url)
    raw_step.deploy_research_permit(factory, contexts["on"])
    ids, sizes, task_counts = {}, {}, {}
    for loops in LOOPS:
        for mode, ctx in contexts.items():
            print(f"  {name}: preparing {samples} applications, {loops} loops, compaction {mode}", file=sys.stderr)
            ids[loops, mode] = raw_step.prepare(factory, ctx, loops, samples)
            with transaction(factory) as session:
                states = [session.get(Instance, instance_id).state for instance_id in ids[loops, mode]]
            sizes[loops, mode] = statistics.median(len(state) for state in states)
            task_counts[loops, mode] = states[0].count('"typename":"Task"')
    durations = {key: [] for key in ids}
    for start in range(0, samples, BLOCK):
        for key, instance_ids in ids.items():
            for instance_id in instance_ids[start:start + BLOCK]:
                durations[key].append(_step(factory, contexts[key[1]], instance_id))
    factory.kw["bind"].dispose()
    return {key: {"ms": statistics.median(wall for wall, _ in values) * 1000,
                  "cpu_ms": statistics.median(cpu for _, cpu in values) * 1000,
                  "bytes": sizes[key], "tasks": task_counts[key]}
            for key, values in durations.items()}


def tables(results: dict, reference: raw_step.RawStep) -> str:
    """The raw step's line and the two tables, as Markdown."""
    lines = [reference.line(), "",
             "| database | revision loops | stored state, off | stored state, on | tasks off / on "
             "| step, off | ÷ raw | step, on | ÷ raw |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, figures in results.items():
        for loops in LOOPS:
            off, on = figures[loops, "off"], figures[loops, "on"]
            lines.append(f"| {name} | {loops} | {off['bytes'] / 1024:.0f} KB | {on['bytes'] / 1024:.0f} KB "
                         f"| {off['tasks']} / {on['tasks']} | {off['ms']:.2f} ms | {reference.times(off['ms']):.2f} "
                         f"| {on['ms']:.2f} ms | {reference.times(on['ms']):.2f} |")
    lines += ["",
              "| database | compaction | state after 50 loops ÷ after 1 (target ≤ 2) | step after 50 ÷ after 1 "
              "(target ≤ 1.3) | the same in CPU of this process | step after 10 ÷ after 1 |",
              "|---|---|---:|---:|---:|---:|"]
    for name, figures in results.items():
        for mode in MODES:
            first, fifty = figures[1, mode], figures[50, mode]
            lines.append(f"| {name} | {mode} | {fifty['bytes'] / first['bytes']:.2f} "
                         f"| {fifty['ms'] / first['ms']:.2f} | {fifty['cpu_ms'] / first['cpu_ms']:.2f} "
                         f"| {figures[10, mode]['ms'] / first['ms']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=16, help="applications per loop count and mode")
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="database to use (its public schema is dropped!), or 'none'")
    parser.add_argument("--readme", action="store_true", help="print only the README's tables, with their markers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {"SQLite": run_backend("SQLite", None, args.samples, Path(tmp))}
        if args.postgres and args.postgres != "none":
            results["PostgreSQL"] = run_backend("PostgreSQL", args.postgres, args.samples, Path(tmp))
    reference = raw_step.measure()
    if args.readme:
        print(marked("history_growth", tables(results, reference)))
        return
    print(f"Research permit, verify → return for revision, median of {args.samples} steps per cell; each step "
          "restores its workflow from the database.\n")
    print(tables(results, reference))


if __name__ == "__main__":
    main()
