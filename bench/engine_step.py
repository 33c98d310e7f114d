"""Cost of one task completion: Lincah's persisted step against raw SpiffWorkflow's stateless step.

Lincah's step is ``engine.tasks.complete`` inside a database transaction, commit included: authorize, validate the
form, load the instance, complete, run to the next wait, save with the optimistic lock, reconcile the task table,
append audit events. Raw SpiffWorkflow's stateless step is what an application without its own persistence does:
deserialize (stock serializer, spec included) → complete the ready task → run → serialize.

Lincah keeps the workflow a step saved in memory for the application's next step in the same process
(``engine/live_workflows.py``); with several server processes, the next step may land in another one and restore
the workflow from the stored text. Both cases are measured: *kept* (the previous step ran in this process) and
*restored* (``LINCAH_LIVE_WORKFLOWS=0``), on alternate instances.

All run on the research permit, on instances that went through 1 and 10 revision loops, in one run on one machine.
Prints a Markdown table (medians of ``--samples`` instances each) and the ratios.

    python bench/engine_step.py [--samples 40] [--runs 1] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine import applications, definitions, runtime, tasks  # noqa: E402
from engine.access import Actor  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.live_workflows import LiveWorkflows  # noqa: E402
from engine.models import Instance, Task  # noqa: E402
from tests import samples  # noqa: E402

APPLICANT = Actor.of("andi", ["applicant"])
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])
RETURN = "Kembalikan untuk perbaikan"
VERIFY_DATA = {"note": "Mohon lengkapi dokumen"}


def _open_task(factory, instance_id: int) -> str:
    with transaction(factory) as session:
        return session.query(Task.id).filter(Task.instance_id == instance_id,
                                             Task.state.in_(("ready", "claimed"))).scalar()


def prepare(factory, ctx, loops: int, count: int) -> list[int]:
    """``count`` applications that went through ``loops`` revision loops and wait at verification again."""
    ids = []
    for _ in range(count):
        with transaction(factory) as session:
            instance_id = applications.start(session, ctx, service="research_permit",
                                             data=samples.research_application(), actor=APPLICANT).id
        for _ in range(loops):
            with transaction(factory) as session:
                tasks.complete(session, ctx, _open_task(factory, instance_id), VERIFIER, VERIFY_DATA, RETURN)
            with transaction(factory) as session:
                tasks.complete(session, ctx, _open_task(factory, instance_id), APPLICANT, samples.REVISION)
        ids.append(instance_id)
    return ids


def time_lincah(factory, contexts: dict, instance_ids: list[int]) -> dict[str, float]:
    """Median step in ms per context, the instances dealt to the contexts in turn."""
    durations = {name: [] for name in contexts}
    names = list(contexts)
    for number, instance_id in enumerate(instance_ids):
        name = names[number % len(names)]
        task_id = _open_task(factory, instance_id)
        started = time.perf_counter()
        with transaction(factory) as session:
            tasks.complete(session, contexts[name], task_id, VERIFIER, VERIFY_DATA, RETURN)
        durations[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in durations.items()}


def time_raw_spiff(factory, ctx, instance_ids: list[int]) -> tuple[float, int]:
    """The same step with stock SpiffWorkflow: the state as its own serializer writes it, spec included."""
    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    states = []
    with transaction(factory) as session:
        for instance_id in instance_ids:
            instance = session.get(Instance, instance_id)
            states.append(stock.serialize_json(runtime.load(ctx, instance)))
    durations = []
    for state in states:
        started = time.perf_counter()
        workflow = stock.deserialize_json(state)
        (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.data.update(VERIFY_DATA | {"decision": RETURN})
        task.run()
        workflow.do_engine_steps()
        stock.serialize_json(workflow)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000, len(states[0])


DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench"


def ensure_postgres_database(url: str) -> None:
    """Benchmarks get their own database so they never wipe the test database."""
    name = url.rsplit("/", 1)[1]
    server = make_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()


def database(url: str | None, tmp: Path):
    if url is None:
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        ensure_postgres_database(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return make_session_factory(make_engine(url)), url


def run_backend(name: str, url: str | None, samples_count: int, tmp: Path) -> dict:
    factory, url = database(url, tmp)
    ctx = EngineContext(settings=Settings(database_url=url))
    # The same engine without kept workflows: every step restores the stored text.
    contexts = {"kept": ctx, "restored": EngineContext(settings=ctx.settings, codec=ctx.codec,
                                                       script_engine=ctx.script_engine, live=LiveWorkflows(0))}
    path = ROOT / "processes" / "research_permit.bpmn"
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                           definitions.form_source(ctx, path), actor="bench")
    results = {}
    for loops in (1, 10):
        ids = prepare(factory, ctx, loops, samples_count * len(contexts))
        with transaction(factory) as session:
            state_size = len(session.get(Instance, ids[0]).state)
        results[loops] = {**time_lincah(factory, contexts, ids), "state_bytes": state_size}
        results[loops]["raw"], results[loops]["raw_bytes"] = time_raw_spiff(factory, ctx, ids)
        print(f"  {name}, {loops} loop(s): done", file=sys.stderr)
    return results


def _runs(args, tmp: Path) -> list[dict]:
    """``args.runs`` complete runs, each on fresh databases: {backend: {loops: figures}} per run."""
    runs = []
    for number in range(args.runs):
        if args.runs > 1:
            print(f"run {number + 1} of {args.runs}", file=sys.stderr)
        backends = {"SQLite": run_backend("SQLite", None, args.samples, tmp / f"run{number}")}
        if args.postgres and args.postgres != "none":
            backends["PostgreSQL"] = run_backend("PostgreSQL", args.postgres, args.samples, tmp / f"run{number}")
        runs.append(backends)
    return runs


def _cell(runs: list[dict], name: str, loops: int, kind: str) -> tuple[float, float, float]:
    """Median over the runs of the step in ms, and the lowest and highest ratio to the raw step of the same run."""
    steps = [run[name][loops][kind] for run in runs]
    ratios = [run[name][loops][kind] / run[name][loops]["raw"] for run in runs]
    return statistics.median(steps), min(ratios), max(ratios)


def _ratio(low: float, high: float) -> str:
    return f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1,
                        help="complete runs; the table gives the median step and the range of the ratio")
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="database to use (its public schema is dropped!), or 'none'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.runs):
            (Path(tmp) / f"run{number}").mkdir()
        runs = _runs(args, Path(tmp))
    over = f", {args.runs} runs: median step, ratio lowest–highest of the runs" if args.runs > 1 else ""
    print(f"Median of {args.samples} completions each (research permit, verify → return for revision{over}).\n")
    print("| database | instance | raw SpiffWorkflow step (stock serializer, no database) "
          "| Lincah, workflow kept from the previous step | ratio | Lincah, workflow restored from the database "
          "| ratio |")
    print("|---|---|---|---|---|---|---|")
    for name in runs[0]:
        for loops in (1, 10):
            raw = statistics.median(run[name][loops]["raw"] for run in runs)
            kept, kept_low, kept_high = _cell(runs, name, loops, "kept")
            restored, restored_low, restored_high = _cell(runs, name, loops, "restored")
            print(f"| {name} | after {loops} revision loop{'s' if loops > 1 else ''} | {raw:.2f} ms "
                  f"| {kept:.2f} ms | {_ratio(kept_low, kept_high)} "
                  f"| {restored:.2f} ms | {_ratio(restored_low, restored_high)} |")
    print()
    first = runs[0]["SQLite"]
    print("State size, stock serializer / Lincah: " + ", ".join(
        f"{first[loops]['raw_bytes'] / 1024:.0f} KB / {first[loops]['state_bytes'] / 1024:.0f} KB after {loops} "
        f"loop{'s' if loops > 1 else ''}" for loops in (1, 10)))
    for name in runs[0]:
        growth = ", ".join(f"{max(run[name][10][kind] / run[name][1][kind] for run in runs):.2f} {kind}"
                           for kind in ("kept", "restored"))
        print(f"{name}: cost after 10 loops / after 1 loop = {growth} (highest of the runs; target ≤ 2.0)")


if __name__ == "__main__":
    main()
