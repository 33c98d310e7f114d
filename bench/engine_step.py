"""Cost of one task completion: Lincah's persisted step against raw SpiffWorkflow's stateless step.

Lincah's step is ``engine.casework.tasks.complete`` inside a database transaction, commit included: authorize,
validate the
form, load the instance, complete, run to the next wait, save with the optimistic lock, reconcile the task table,
append audit events. Raw SpiffWorkflow's stateless step is what an application without its own persistence does:
deserialize (stock serializer, spec included) → complete the ready task → run → serialize.

Lincah keeps the workflow a step saved in memory for the application's next step in the same process
(``engine/workflow/live_workflows.py``); with several server processes, the next step may land in another one and
restore
the workflow from the stored text. Both cases are measured: *kept* (the previous step ran in this process) and
*restored* (``LINCAH_LIVE_WORKFLOWS=0``), on separate instances.

A second table holds Lincah against the least a durable step of stock SpiffWorkflow does: the raw step with its
state read by key and written back in one transaction, committed, on the bare DBAPI connection.

The raw steps start from the state stock SpiffWorkflow itself would hold after the same loops: SpiffWorkflow never
prunes its task tree, so the stock states come from applications that went through the loops with history
compaction off (``LINCAH_COMPACT_HISTORY``), serialized with the stock serializer; Lincah's own applications run as
the product does, compaction on. For comparison the durable table also gives the stock step on Lincah's compacted
state — what stock SpiffWorkflow would cost if it pruned its tree as Lincah does (it does not).

All run on the research permit, on instances that went through 1 and 10 revision loops, in one run on one machine,
the kinds of step taking turns in blocks (``time_steps``). Prints Markdown tables (medians of ``--samples``
instances each) and the ratios.

    python bench/engine_step.py [--samples 40] [--runs 1] [--postgres URL] [--readme]
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

from sqlalchemy import text  # noqa: E402

from bench import sandbox_cost  # noqa: E402
from bench.raw_step import (  # noqa: E402  (the raw step: shared with every bench as its yardstick)
    RETURN,
    VERIFIER,
    VERIFY_DATA,
    compression_like_lincah,
    deploy_research_permit,
    open_task,
    prepare,
    raw_step,
    stock_states,
)
from bench.readme_tables import marked  # noqa: E402
from engine.casework import tasks  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Instance  # noqa: E402
from engine.workflow.live_workflows import LiveWorkflows  # noqa: E402

RAW_TABLE = "bench_raw_state"


class RawPersisted:
    """The raw step with the least persistence an application can have: in one transaction on the same database,
    read the stock state by key, step it, write it back, commit — straight on the DBAPI connection, no ORM, no
    bookkeeping. The floor under any durable step of stock SpiffWorkflow on this machine."""

    def __init__(self, factory, states: dict[int, str], table: str = RAW_TABLE):
        with transaction(factory) as session:
            session.execute(text(f"DROP TABLE IF EXISTS {table}"))
            session.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))
            if session.bind.dialect.name == "postgresql":
                session.execute(text(compression_like_lincah(table)))
            session.execute(text(f"INSERT INTO {table} (id, state) VALUES (:id, :state)"),
                            [{"id": key, "state": state} for key, state in states.items()])
        engine = factory.kw["bind"]
        self.sqlite = engine.dialect.name == "sqlite"
        mark = "?" if self.sqlite else "%s"
        self.read = f"SELECT state FROM {table} WHERE id = {mark}"
        self.write = f"UPDATE {table} SET state = {mark} WHERE id = {mark}"
        self.connection = engine.raw_connection()

    def step(self, key: int) -> None:
        cursor = self.connection.cursor()
        if self.sqlite:  # Lincah's SQLite connections leave beginning a transaction to the caller (engine.storage.db)
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(self.read, (key,))
        cursor.execute(self.write, (raw_step(cursor.fetchone()[0]), key))
        cursor.close()
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()


def _timed(action, *args) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def lincah_step(factory, ctx, task_id: str) -> None:
    with transaction(factory) as session:
        tasks.complete(session, ctx, task_id, VERIFIER, VERIFY_DATA, RETURN)


KINDS = ("kept", "restored")


BLOCK = 8  # steps of one kind in a row


def time_steps(factory, contexts: dict, ids: dict[int, list[int]], states: dict[int, str],
               compacted: dict[int, str]) -> dict:
    """Median ms per loop count and kind of step (raw, raw persisted — on the stock state with its history —, raw
    persisted on Lincah's compacted state, Lincah kept, Lincah restored). ``states`` and ``compacted``: the stock
    state of each Lincah application's twin with its history, and of the application itself.

    The kinds take turns in blocks of ``BLOCK`` steps, round after round: within a block the step runs warm, as on
    a server busy with this kind of work, and the rounds spread the shared machine's ups and downs over all kinds
    alike, so the ratios hold still. (Alternating single steps would measure every kind with cold caches: all get
    slower, Lincah's larger code path most.)"""
    durations = {loops: {kind: [] for kind in ("raw", "raw_persisted", "raw_persisted_compacted", *KINDS)}
                 for loops in ids}
    persisted = RawPersisted(factory, states)
    persisted_compacted = RawPersisted(factory, compacted, RAW_TABLE + "_compacted")
    per_kind = len(ids[1]) // len(KINDS)
    try:
        for start in range(0, per_kind, BLOCK):
            for loops, instance_ids in ids.items():
                for number, kind in enumerate(KINDS):
                    # Within this kind's own slice: the last block is short unless the samples are a multiple of
                    # BLOCK (it used to step into the next kind's applications, already stepped: NotFound).
                    first = number * per_kind
                    block = instance_ids[first + start:first + min(start + BLOCK, per_kind)]
                    for instance_id in block:
                        durations[loops]["raw"].append(_timed(raw_step, states[instance_id]))
                    for instance_id in block:
                        durations[loops]["raw_persisted"].append(_timed(persisted.step, instance_id))
                    for instance_id in block:
                        durations[loops]["raw_persisted_compacted"].append(
                            _timed(persisted_compacted.step, instance_id))
                    for instance_id in block:
                        task_id = open_task(factory, instance_id)
                        durations[loops][kind].append(_timed(lincah_step, factory, contexts[kind], task_id))
    finally:
        persisted.close()
        persisted_compacted.close()
    return {loops: {kind: statistics.median(values) * 1000 for kind, values in by_kind.items()}
            for loops, by_kind in durations.items()}


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
    count = samples_count * len(KINDS)
    # Room for every prepared application's workflow: each is the previous step's, kept for the timed one.
    ctx = EngineContext(settings=Settings(database_url=url), live=LiveWorkflows(2 * count))
    # The same engine without kept workflows: every step restores the stored text.
    contexts = {"kept": ctx, "restored": EngineContext(settings=ctx.settings, codec=ctx.codec,
                                                       script_engine=ctx.script_engine, live=LiveWorkflows(0))}
    deploy_research_permit(factory, ctx)
    ids = {loops: prepare(factory, ctx, loops, count) for loops in (1, 10)}
    compacted = stock_states(factory, ctx, [*ids[1], *ids[10]])
    states = _stock_with_history(factory, ctx, ids)
    with transaction(factory) as session:
        sizes = {loops: len(session.get(Instance, ids[loops][0]).state) for loops in ids}
    results = time_steps(factory, contexts, ids, states, compacted)
    for loops in ids:
        results[loops].update(state_bytes=sizes[loops], raw_bytes=len(states[ids[loops][0]]),
                              compacted_raw_bytes=len(compacted[ids[loops][0]]))
    print(f"  {name}: done", file=sys.stderr)
    return results


def _stock_with_history(factory, ctx, ids: dict[int, list[int]]) -> dict[int, str]:
    """For each of Lincah's applications, the stock state of a twin that went through as many loops as stock
    SpiffWorkflow runs them — its task tree never pruned (compaction off) —, keyed by the application's id."""
    stock = EngineContext(settings=dataclasses.replace(ctx.settings, compact_history=False), codec=ctx.codec,
                          script_engine=ctx.script_engine, live=LiveWorkflows(0))
    states = {}
    for loops, instance_ids in ids.items():
        twins = prepare(factory, stock, loops, len(instance_ids))
        twin_states = stock_states(factory, stock, twins)
        states.update({instance_id: twin_states[twin] for instance_id, twin in zip(instance_ids, twins, strict=True)})
    return states


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


def _cell(runs: list[dict], name: str, loops: int, kind: str, against: str) -> tuple[float, float, float]:
    """Median over the runs of the step in ms, and the lowest and highest ratio to the ``against`` step of the same
    run."""
    steps = [run[name][loops][kind] for run in runs]
    ratios = [run[name][loops][kind] / run[name][loops][against] for run in runs]
    return statistics.median(steps), min(ratios), max(ratios)


def _ratio(low: float, high: float) -> str:
    return f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f}"


def table(runs: list[dict], against: str, heading: str, *, also: tuple[str, str] | None = None) -> str:
    """The Markdown table of Lincah's steps against the ``against`` step of the same run; ``also`` (kind, heading):
    a second reference step, with Lincah's ratios to it, in the last columns."""
    lines = [f"| database | instance | {heading} | Lincah, workflow kept from the previous step | ratio "
             "| Lincah, workflow restored from the database | ratio |"
             + (f" {also[1]} | ratio, kept | ratio, restored |" if also else ""),
             "|---|---|---|---|---|---|---|" + ("---|---|---|" if also else "")]
    for name in runs[0]:
        for loops in (1, 10):
            reference = statistics.median(run[name][loops][against] for run in runs)
            kept, kept_low, kept_high = _cell(runs, name, loops, "kept", against)
            restored, restored_low, restored_high = _cell(runs, name, loops, "restored", against)
            line = (f"| {name} | after {loops} revision loop{'s' if loops > 1 else ''} | {reference:.2f} ms "
                    f"| {kept:.2f} ms | {_ratio(kept_low, kept_high)} "
                    f"| {restored:.2f} ms | {_ratio(restored_low, restored_high)} |")
            if also:
                second = statistics.median(run[name][loops][also[0]] for run in runs)
                _, low, high = _cell(runs, name, loops, "kept", also[0])
                _, restored_low, restored_high = _cell(runs, name, loops, "restored", also[0])
                line += f" {second:.2f} ms | {_ratio(low, high)} | {_ratio(restored_low, restored_high)} |"
            lines.append(line)
    return "\n".join(lines)


RAW_HEADING = "raw SpiffWorkflow step (stock serializer, no database)"
DURABLE_HEADING = "raw SpiffWorkflow step, state read and written, committed"
# The durable step once more, on Lincah's compacted state: what stock would cost if it pruned its tree (it does not).
COMPACTED = ("raw_persisted_compacted", "the same on Lincah's compacted state")


def readme_tables(runs: list[dict], sandbox: dict[str, dict]) -> str:
    """The README's three tables (bench/readme_tables.py), each between its markers."""
    return "\n\n".join([marked("engine_step:raw", table(runs, "raw", RAW_HEADING)),
                         marked("engine_step:durable", table(runs, "raw_persisted", DURABLE_HEADING, also=COMPACTED)),
                         marked("engine_step:sandbox", sandbox_cost.table(sandbox))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1,
                        help="complete runs; the table gives the median step and the range of the ratio")
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="database to use (its public schema is dropped!), or 'none'")
    parser.add_argument("--readme", action="store_true",
                        help="print only the README's three tables, with their markers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.runs):
            (Path(tmp) / f"run{number}").mkdir()
        runs = _runs(args, Path(tmp))
        sandbox = _sandbox_costs(args, Path(tmp))
    if args.readme:
        print(readme_tables(runs, sandbox))
        return
    over = f", {args.runs} runs: median step, ratio lowest–highest of the runs" if args.runs > 1 else ""
    print(f"Median of {args.samples} completions each (research permit, verify → return for revision{over}).\n")
    print(table(runs, "raw", RAW_HEADING))
    print("\nThe same against the raw step with the least persistence (read its stock state, step, write it back, "
          "commit; DBAPI, no bookkeeping):\n")
    print(table(runs, "raw_persisted", DURABLE_HEADING, also=COMPACTED))
    print()
    first = runs[0]["SQLite"]
    print("State size, stock serializer with its history / stock serializer on the compacted tree / Lincah: "
          + ", ".join(f"{first[loops]['raw_bytes'] / 1024:.0f} KB / {first[loops]['compacted_raw_bytes'] / 1024:.0f}"
                      f" KB / {first[loops]['state_bytes'] / 1024:.0f} KB after {loops} loop{'s' if loops > 1 else ''}"
                      for loops in (1, 10)))
    for name in runs[0]:
        growth = ", ".join(f"{max(run[name][10][kind] / run[name][1][kind] for run in runs):.2f} {kind}"
                           for kind in ("kept", "restored"))
        print(f"{name}: cost after 10 loops / after 1 loop = {growth} (highest of the runs; target ≤ 2.0)")
    print("\nWhat the sandbox's hard limits add to a step (bench/sandbox_cost.py; target ≤ 5% of the step):\n")
    sandbox_cost.print_table(sandbox)


def _sandbox_costs(args, tmp: Path) -> dict[str, dict]:
    backends = {"SQLite": None}
    if args.postgres and args.postgres != "none":
        backends["PostgreSQL"] = args.postgres
    results = {}
    for name, url in backends.items():
        factory, url = database(url, tmp)
        factory.kw["bind"].dispose()
        results[name] = sandbox_cost.measure(url, args.samples)
    return results


if __name__ == "__main__":
    main()
