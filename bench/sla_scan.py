"""Cost of one SLA pass over 10,000 and 100,000 open tasks, on SQLite and PostgreSQL.

One pass is what the scheduler's SLA job does every minute (``scheduler.jobs.advance_sla``): claim the overdue steps
and files (``FOR UPDATE SKIP LOCKED``) and act on each breach — an audit event and notifications to the group's
officers and the office's supervisor (four people here). Steps and files whose at-risk instant came meanwhile cost
the pass nothing: at risk is read off the clock when shown (``engine.sla.risk``), not written. The scenarios still
have them cross, so the figures compare with runs from before that change.
The last column times the job that tells administrators about steps nobody can work (``jobs.notify_unstaffed``),
which runs on a schedule of its own (every 5 min), not inside the pass.

Each size is measured in three situations, on N open steps of N running files spread over five offices:

* **idle** — nothing fell due since the last pass: the cost of looking, which should not depend on N;
* **steady** — a heavy ordinary minute: 0.1 % of the steps (and of the files) become overdue and 0.2 % turn at
  risk (100,000 steps living about a working day each cross about that many thresholds a minute);
* **burst** — the first pass after the scheduler was stopped for a while: 1 % become overdue (each with its breach
  actions) and 10 % turn at risk at once.

Everything else is as a live office would have it: a fifth already overdue, a fifth already at risk, the rest on
track. Between repetitions the changed rows are put back. Prints a Markdown table (medians of ``--repeat`` runs),
the growth from 10k to 100k (10× the rows; linear growth is ≤ 10×) and the load average at the start and the end
(the machine may be shared).

PostgreSQL runs in a database of its own (``lincah_bench_sla``, dropped and created again through the admin URL),
never the test database.

    python bench/sla_scan.py [--sizes 10000 100000] [--repeat 3] [--postgres-admin URL] [--no-postgres]
                             [--databases sqlite postgresql] [--scenarios idle steady burst]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, text, update  # noqa: E402

from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.sla.clocks import alarm  # noqa: E402
from engine.storage.db import Timeouts, make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Event, Instance, Notification, ServiceDefinition, Task, TaskCandidate, User  # noqa: E402
from scheduler import jobs  # noqa: E402

NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # Wednesday 11:00 WITA
MINUTE = timedelta(minutes=1)
OFFICES = ("sulsel", "sinjai", "bone", "gowa", "maros")
GROUPS = ("verifier", "head_of_office", "regency_fisheries", "fisheries_reviewer")
# Share of the open steps (and files) that become overdue / turn at risk since the previous pass, a minute ago.
SCENARIOS = {"idle": (0.0, 0.0), "steady": (0.001, 0.002), "burst": (0.01, 0.10)}
BENCH_DB = "lincah_bench_sla"
UNSTAFFED_JOB: dict[tuple[str, int], float] = {}
LOAD_AT_START = os.getloadavg()[0]  # (url, open tasks) -> median seconds of jobs.notify_unstaffed


def _states(count: int, breaching: float, turning: float, rng: random.Random) -> list[tuple]:
    """Per row: (stored sla_state before the pass, at_risk_at, breached_at), with the scenario's crossings this
    minute. A clock at risk is stored on track (its at-risk instant has passed)."""
    rows = []
    crossing_breach, crossing_risk = round(count * breaching), round(count * turning)
    for index in range(count):
        if index < crossing_breach:  # at risk until now, overdue within the last minute
            rows.append(("on_track", NOW - timedelta(hours=2), NOW - rng.random() * MINUTE))
        elif index < crossing_breach + crossing_risk:  # reaches its at-risk instant within the last minute
            rows.append(("on_track", NOW - rng.random() * MINUTE, NOW + timedelta(hours=1 + 8 * rng.random())))
        else:
            kind = rng.random()
            if kind < 0.2:
                rows.append(("breached", NOW - timedelta(days=2), NOW - timedelta(days=1, hours=8 * rng.random())))
            elif kind < 0.4:
                rows.append(("on_track", NOW - timedelta(hours=1), NOW + timedelta(hours=8 * rng.random())))
            else:
                rows.append(("on_track", NOW + timedelta(hours=1 + 8 * rng.random()),
                             NOW + timedelta(days=1 + rng.random())))
    rng.shuffle(rows)
    return rows


def populate(factory, count: int, scenario: str) -> None:
    rng = random.Random(count)
    breaching, turning = SCENARIOS[scenario]
    task_states = _states(count, breaching, turning, rng)
    file_states = _states(count, breaching, turning, rng)
    with transaction(factory) as session:
        definition = ServiceDefinition(
            key="research_permit", version=1, status="published", name_id="Izin Penelitian", name_en="Research",
            bpmn_filename="research_permit.bpmn", bpmn="", extra_bpmn={}, spec_json="{}",
            meta={"process": {"sla": "P1D", "properties": {}}, "tasks": {"Task_Verify": {"sla": "PT4H"}}},
            forms={}, warnings=[], sha256="0" * 64, deployed_at=NOW)
        session.add(definition)
        session.flush()
        people = []
        for office in OFFICES:
            people.append({"username": f"supervisor.{office}", "roles": ["supervisor"], "groups": [],
                           "jurisdictions": [office]})
            for group in GROUPS:
                people.extend({"username": f"{group}.{office}.{n}", "roles": ["officer"], "groups": [group],
                               "jurisdictions": [office]} for n in range(3))
        session.execute(insert(User.__table__), [
            {**p, "password_hash": "-", "full_name": p["username"], "email": f"{p['username']}@dpmptsp.test",
             "active": True, "created_at": NOW} for p in people])
        for start in range(0, count, 10_000):
            chunk = range(start, min(start + 10_000, count))
            session.execute(insert(Instance.__table__), [{
                "id": i + 1, "definition_id": definition.id, "service_key": "research_permit",
                "registration_no": f"DPMPTSP-SULSEL/research_permit/2026/{i + 1:06d}", "applicant": f"app{i}",
                "applicant_name": f"Pemohon {i}", "jurisdiction": OFFICES[i % len(OFFICES)], "status": "running",
                "state": "{}", "serializer_version": "1.5", "revision": 1, "started_at": NOW - timedelta(days=3),
                "updated_at": NOW - timedelta(days=3), "sla": "P1D", "sla_target_seconds": 8 * 3600.0,
                "sla_due_at": file_states[i][2], "sla_at_risk_at": file_states[i][1],
                "sla_breached_at": file_states[i][2], "sla_state": file_states[i][0],
                "sla_alarm_at": alarm(*file_states[i]), "paused_seconds": 0.0}
                for i in chunk])
            session.execute(insert(Task.__table__), [{
                "id": f"{i + 1:08d}-0000-4000-8000-000000000000", "instance_id": i + 1,
                "service_key": "research_permit", "element_id": "Task_Verify", "name": "Verifikasi berkas",
                "candidate_groups": [GROUPS[i % len(GROUPS)]], "for_applicant": False,
                "jurisdiction": OFFICES[i % len(OFFICES)], "state": "ready", "decision_choices": [],
                "created_at": NOW - timedelta(days=3), "sla": "PT4H", "sla_pause": False,
                "sla_target_seconds": 4 * 3600.0, "due_at": task_states[i][2], "at_risk_at": task_states[i][1],
                "breached_at": task_states[i][2], "sla_state": task_states[i][0],
                "sla_alarm_at": alarm(*task_states[i]), "paused_seconds": 0.0}
                for i in chunk])
            session.execute(insert(TaskCandidate.__table__), [
                {"task_id": f"{i + 1:08d}-0000-4000-8000-000000000000", "group_name": GROUPS[i % len(GROUPS)]}
                for i in chunk])


def reset(factory) -> None:
    """Put back what a pass changed: this minute's breaches, and the events and notifications it wrote.

    On PostgreSQL the tables are then left as the first pass found them: the events and notices truncated and the
    undone steps and files vacuumed. Deleted rows stay in the indexes until a vacuum, so each repetition used to
    write its 5,000 notices over dead entries of the very same ``dedupe_key``s (and claim rows whose every index
    held one more dead version), which makes the uniqueness check visit the heap for each: the notices' INSERT
    took 110–170 ms of server CPU by the fifth repetition against 80 ms in the first. A live office never writes a
    key twice, and autovacuum clears dead versions between passes.
    """
    window = NOW - MINUTE
    with transaction(factory) as session:
        session.execute(update(Task).where(Task.breached_at > window, Task.breached_at <= NOW)
                        .values(sla_state="on_track", sla_alarm_at=Task.breached_at))
        session.execute(update(Instance).where(Instance.sla_breached_at > window, Instance.sla_breached_at <= NOW)
                        .values(sla_state="on_track", sla_alarm_at=Instance.sla_breached_at))
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("TRUNCATE notification, event"))
        else:
            session.execute(delete(Notification))
            session.execute(delete(Event))
    engine = factory.kw["bind"]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM task, instance"))


def analyze(engine) -> None:
    """PostgreSQL's autovacuum gathers statistics on a live database; SQLite never does, so it runs without."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def measure(url: str, count: int, scenario: str, repeat: int, fresh) -> tuple[float, object]:
    fresh()
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    populate(factory, count, scenario)
    analyze(engine)
    ctx = EngineContext(settings=Settings(database_url=url), clock=FrozenClock(NOW))
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = jobs.advance_sla(factory, ctx)
        times.append(time.perf_counter() - began)
        reset(factory)
    if scenario == "idle":  # the job of its own beside the pass (every 5 min): it reads every recent open step
        unstaffed = []
        for _ in range(repeat):
            began = time.perf_counter()
            jobs.notify_unstaffed(factory, ctx)
            unstaffed.append(time.perf_counter() - began)
        UNSTAFFED_JOB[(url, count)] = statistics.median(unstaffed)
    engine.dispose()
    return statistics.median(times), result


def sqlite_target(folder: Path):
    path = folder / "sla_scan.db"
    url = f"sqlite:///{path}"

    def fresh():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return url, fresh


def postgres_target(admin_url: str):
    base = admin_url.rsplit("/", 1)[0]
    url = f"{base}/{BENCH_DB}"

    def fresh():
        drop_database(admin_url, create=True)

    return url, fresh


def drop_database(admin_url: str, create: bool = False) -> None:
    # No statement or answer limit: on a busy machine dropping a 100k-row database takes longer than a request may.
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", timeouts=Timeouts(statement=0, lock=0))
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        if create:
            connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="URL of a database to run CREATE/DROP DATABASE from (not the test database)")
    parser.add_argument("--no-postgres", action="store_true", help="same as --databases sqlite")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS),
                        help="situations to measure (a profile of one is quicker); the others print as -")
    args = parser.parse_args()
    if args.postgres_admin.rsplit("/", 1)[-1].split("?")[0] == "test":
        parser.error("the admin URL must not be the test database")
    postgres = "postgresql" in args.databases and not args.no_postgres
    with tempfile.TemporaryDirectory() as folder:
        targets = [("SQLite", *sqlite_target(Path(folder)))] if "sqlite" in args.databases else []
        if postgres:
            targets.append(("PostgreSQL", *postgres_target(args.postgres_admin)))
        print("| database | open tasks | idle pass | steady pass (0.1 % overdue, 0.2 % at risk) | burst pass "
              "(1 % overdue, 10 % at risk) | breaches acted on in the burst | unstaffed-steps job (own schedule) |")
        print("|---|---|---|---|---|---|---|")
        growth = {}
        for name, url, fresh in targets:
            for count in args.sizes:
                timed = {scenario: measure(url, count, scenario, args.repeat, fresh) for scenario in args.scenarios}
                growth[(name, count)] = tuple(timed.get(s, (None,))[0] for s in SCENARIOS)
                result = next(reversed(timed.values()))[1]
                cells = " | ".join(_ms(timed.get(s, (None,))[0]) for s in SCENARIOS)
                print(f"| {name} | {count:,} | {cells} | {result.breached:,} steps + {result.files_breached:,} "
                      f"files, {result.notified:,} notifications | {_ms(UNSTAFFED_JOB.get((url, count)))} |",
                      flush=True)
        if len(args.sizes) > 1:
            small, large = min(args.sizes), max(args.sizes)
            print()
            for name, *_ in targets:
                ratios = ", ".join(f"{scenario} ×{b / a:.1f}" for scenario, a, b in
                                   zip(SCENARIOS, growth[(name, small)], growth[(name, large)], strict=True) if a)
                print(f"{name}: {large // small}× the rows → {ratios}")
        print(f"\nload average (1 min) at the start and the end: {LOAD_AT_START:.1f}, {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores; medians of {args.repeat} runs")
        if postgres:
            drop_database(args.postgres_admin)


# -- the raw SpiffWorkflow step beside the figures; --readme (bench/readme_tables.py) -------------------------------

def _cells_with_raw_step(plain, reference):
    """The table's time cells, each also as a multiple of the raw SpiffWorkflow step measured in this run: a loaded
    machine moves the milliseconds much more than the ratio."""
    def cell(seconds: float | None) -> str:
        return plain(seconds) if seconds is None else f"{plain(seconds)} ({reference.times(seconds * 1000):.0f}×)"
    return cell


def main_with_raw_step() -> None:
    """``main()`` with the raw step measured first and shown in each time cell; with ``--readme``, only the table,
    between its README markers (the growth and load lines go to stderr)."""
    import contextlib
    import io

    from bench import raw_step
    from bench.readme_tables import marked

    global _ms
    readme = "--readme" in sys.argv
    if readme:
        sys.argv.remove("--readme")
    reference = raw_step.measure()
    _ms = _cells_with_raw_step(_ms, reference)
    if not readme:
        print(reference.line() + "\n")
        main()
        return
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main()
    lines = output.getvalue().splitlines()
    print("\n".join(line for line in lines if not line.startswith("|")), file=sys.stderr)
    print(marked("sla_scan", "\n".join([reference.line(), "",
                                         *(line for line in lines if line.startswith("|"))])))


if __name__ == "__main__":
    main_with_raw_step()
