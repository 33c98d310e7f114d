"""Lincah under HTTP load: task completions per second and inbox latency, against gunicorn with PostgreSQL.

What is measured, on this machine (server, database and clients share its cores):

1. **Completions per second.** Research-permit applications wait at verification (a few are started with the engine,
   the rest are copies of those rows: ``bench/http_load_data.py``). For each client count N, N threads — one
   keep-alive ``http.client`` connection and one verifier's bearer token each — take task ids from a shared queue
   and ``POST /api/v1/tasks/{id}/complete`` with a decision (approve → the signing step opens) for ``--seconds``.
   Completions/s = answers 200 ÷ wall time; latency percentiles are per request; any other answer is an error.
   Each row gets ``--pool`` fresh copies; those no client took are cancelled after it, so the sulsel verifiers' and
   supervisor's inboxes hold the generated tasks and one row's pool at most.
   The database then must hold exactly as many tasks completed by the bench verifiers as there were 200s.
2. **Inbox latency.** With ``--total`` tasks in the database, ``--open`` of them open (generated with SQL over ~25
   offices, 8 candidate groups, 6 services, due dates spread over weeks; then ``VACUUM ANALYZE``), one client sends
   sequential ``GET /api/v1/tasks`` (default sort ``due_at``, ``limit=50``) for officer profiles (one office and one
   group; a supervisor of one office) and filters (``sla``, ``q``, ``service``, ``state=completed``): after a
   warm-up ``--inbox-requests`` each, or fewer when they take longer than ``--inbox-seconds``. p50/p95 are of the
   client-side time per request (HTTP, auth, query, JSON); ``GET /auth/me`` is the baseline of a trivial request.
3. **Inbox beside the completions** (issue 21: inbox p95 ≤ 50 ms while completions run). Right after each client
   count of 1. (``--beside-clients``, default the same counts), the same count runs again while ``--beside-readers``
   officers (the verifier of the office whose tasks are completed, then its supervisor…) each request their inbox
   ``--beside-rate`` times a second on a connection of their own: p50/p95/max per officer, errors, requests sent
   behind their schedule, the load average, and p95 ÷ the raw step's wall time. The kept-workflow cache's hit rate
   over all completions is read from ``GET /metrics`` (gunicorn runs with a ``PROMETHEUS_MULTIPROC_DIR``, so both
   workers are counted).

The inbox is measured first, on the generated data alone; the completions then run on the same big database.
gunicorn (``api.wsgi:app``) is started on a free port of 127.0.0.1 and always stopped; nothing else is contacted.
The PostgreSQL database (default ``lincah_bench_http``) is created through the ``postgres`` maintenance database when
missing and its public schema is dropped and migrated at the start: never point ``--postgres`` at a database you use.
Prints Markdown tables; targets (issue 3): ≥ 150 completions/s and inbox p95 ≤ 50 ms. The machine is shared, so each
row also gives the CPU time that gunicorn, PostgreSQL (the bench database's backends and the server's background
processes) and the clients spent per completion or request (read from /proc), which other work changes far less,
and for completions its ratio to the raw SpiffWorkflow step's CPU measured at the start of the same run
(``bench/raw_step.py``). ``--readme`` prints only the README's tables, between their markers.

    python bench/http_load.py [--open 100000] [--total 1000000] [--clients 1,4,8,16] [--seconds 15]
                              [--workers 2] [--threads 4] [--inbox-requests 200] [--inbox-seconds 20]
                              [--beside-readers 2] [--beside-rate 5] [--beside-clients 1,4,8,16]
                              [--skip-inbox | --skip-completions] [--readme]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import make_url, text  # noqa: E402

from bench import http_load_data, raw_step  # noqa: E402
from bench.readme_tables import marked  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people import users  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from tests import samples  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench_http"
HOST = "127.0.0.1"
PASSWORD = "bench-http-load"
TARGET_RATE = 150.0
TARGET_P95_MS = 50.0
# approving needs every document of the checklist ticked (x-required-for in forms/research_permit/verify.json)
APPROVE = {"data": {"checklist": ["application_letter", "campus_recommendation", "proposal", "ktp", "ktm",
                                 "statement_letter"], "note": "Berkas lengkap"},
           "decision": "Setujui"}
TEMPLATES = 10
WARMUP_COMPLETIONS = 40
WARMUP_INBOX = 10
# Officer profiles of the inbox: (label, username, roles, groups, offices). The usernames are those the generated
# data uses for claimed tasks, so each officer also has tasks of their own.
PROFILES = (
    ("officer: verifier, sulsel (largest office)", "verifier.sulsel.1", ["officer"], ["verifier"], ["sulsel"]),
    ("officer: regency_fisheries, sinjai", "regency_fisheries.sinjai.1", ["officer"], ["regency_fisheries"],
     ["sinjai"]),
    ("officer: head_of_office, gowa", "head_of_office.gowa.1", ["officer"], ["head_of_office"], ["gowa"]),
    ("supervisor: sulsel (every staff task)", "supervisor.sulsel", ["supervisor"], [], ["sulsel"]),
)
# (label, profile username, path, query): a baseline (token check and a trivial answer), the default inbox of
# every profile, then filter variants.
INBOX = "/api/v1/tasks"
INBOX_CASES = [("baseline: GET /api/v1/auth/me (no inbox query)", "verifier.sulsel.1", "/api/v1/auth/me", {})]
INBOX_CASES += [(label, username, INBOX, {}) for label, username, *_ in PROFILES]
INBOX_CASES += [
    ("verifier, sulsel ?sla=at_risk", "verifier.sulsel.1", INBOX, {"sla": "at_risk"}),
    ("verifier, sulsel ?q=rahman (applicant name)", "verifier.sulsel.1", INBOX, {"q": "rahman"}),
    ("verifier, sulsel ?service=fishing_vessel_permit", "verifier.sulsel.1", INBOX,
     {"service": "fishing_vessel_permit"}),
    ("supervisor, sulsel ?sla=breached", "supervisor.sulsel", INBOX, {"sla": "breached"}),
    ("supervisor, sulsel ?q=bench/business_license/1", "supervisor.sulsel", INBOX,
     {"q": "bench/business_license/1"}),
    ("verifier, sulsel ?state=completed (history)", "verifier.sulsel.1", INBOX, {"state": "completed"}),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The machine's 1-minute load average at the start and end of each part: other work on it slows every figure down.
LOADS: dict[str, list[float]] = {}


def note_load(part: str) -> None:
    LOADS.setdefault(part, []).append(os.getloadavg()[0])


# -- database -------------------------------------------------------------------------------------------------------

def check_local(url: str) -> None:
    parsed = make_url(url)
    if parsed.host not in ("127.0.0.1", "localhost", None) or parsed.database in (None, "", "test", "postgres"):
        raise SystemExit(f"refusing {url!r}: use a dedicated database on 127.0.0.1")


def reset_database(url: str) -> None:
    """Create the bench database if missing (through ``postgres``), drop its schema and migrate it."""
    parsed = make_url(url)
    server = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                         isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    server.dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def libpq_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def deploy_services(factory, ctx) -> None:
    for key in ("research_permit", "fishing_vessel_permit"):
        path = ROOT / "processes" / f"{key}.bpmn"
        with transaction(factory) as session:
            definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                               definitions.form_source(ctx, path), actor="bench")


def create_users(factory, ctx, specs: list[tuple[str, list, list, list]]) -> None:
    """Accounts through ``engine.people.users`` (real password hashes), skipping those that exist."""
    with transaction(factory) as session:
        for username, roles, groups, offices in specs:
            if users.by_username(session, username) is None:
                users.create(session, username=username, password=PASSWORD, roles=roles, groups=groups,
                             jurisdictions=offices, actor="bench", at=ctx.now())


def start_templates(factory, ctx, count: int) -> list[int]:
    """Research-permit applications started by the engine; they wait at verification (sulsel, verifier)."""
    ids = []
    with transaction(factory) as session:
        for n in range(count):
            name = f"{http_load_data.FIRST_NAMES[n]} {http_load_data.LAST_NAMES[n]}"
            applicant = Actor.of(f"pemohon.bench{n}", ["applicant"], full_name=name)
            instance = applications.start(session, ctx, service="research_permit",
                                          data=samples.research_application(applicant_name=name), actor=applicant)
            ids.append(instance.id)
    return ids


def completed_by(factory, usernames: list[str]) -> int:
    with transaction(factory) as session:
        return session.execute(text("SELECT count(*) FROM task WHERE state = 'completed' AND completed_by = ANY(:u)"),
                               {"u": usernames}).scalar()


# -- server ---------------------------------------------------------------------------------------------------------

@dataclass
class Server:
    port: int
    pid: int  # gunicorn's master, leader of the process group of all its workers
    tree: str = "this tree"  # whose code it runs: this tree, or "before" (--before-tree)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, instance_path: Path, log_path: Path, workers: int, threads: int, root: Path = ROOT):
    """``api.wsgi:app`` of the source tree ``root`` under gunicorn on a free local port; yields its ``Server``;
    always stopped."""
    port = free_port()
    # prometheus_client's multiprocess folder: /metrics then adds up every worker's counts (the kept-workflow rate)
    metrics = tempfile.mkdtemp(dir=instance_path.parent, prefix="metrics-")
    env = {**os.environ, "LINCAH_DATABASE_URL": url, "LINCAH_INSTANCE_PATH": str(instance_path),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    env.pop("LINCAH_METRICS_TOKEN", None)  # the bench reads /metrics from this machine, as an operator may
    # Threads keep connections alive (the sync worker closes each after one request); --threads 0: sync workers.
    # The threaded worker is the product's (``lincah serve``): gthread serving waiting reads first
    # (api/reads_first.py), or gthread itself for a source tree from before it existed (--before-tree).
    threaded = "api.reads_first.ReadsFirstWorker" if (root / "api" / "reads_first.py").exists() else "gthread"
    worker_class = ["--worker-class", threaded, "--threads", str(threads)] if threads > 0 else ["--worker-class",
                                                                                               "sync"]
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), *worker_class,
               "--bind", f"{HOST}:{port}", "--timeout", "120", "--keep-alive", "30", "api.wsgi:app"]
    with open(log_path, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_until_up(process, port, log_path)
        yield Server(port, process.pid, "this tree" if root == ROOT else "before")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_until_up(process, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited:\n" + log_path.read_text()[-3000:])
        probe = Client(port)
        answered = probe.call("GET", "/api/v1/services")[0] == 200
        probe.close()
        if answered:
            return
        if time.monotonic() > deadline:
            raise SystemExit("gunicorn did not answer:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)


# -- HTTP client ----------------------------------------------------------------------------------------------------

class Client:
    """One keep-alive connection to the local server (``http.client`` reconnects when the server closed it).

    A lean client on purpose: it shares the 2 cores with the server it measures, and ``requests`` costs about 0.45 ms
    more CPU per call (measured against a WSGI app that only answers 204), which would be taken from the server.
    ``authorization`` is a whole header value (e.g. HTTP Basic); ``token`` a bearer token."""

    def __init__(self, port: int, token: str | None = None, authorization: str | None = None):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.token = token
        self.authorization = authorization or (f"Bearer {token}" if token else None)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.authorization:
            headers["Authorization"] = self.authorization
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            return 0, b"", time.perf_counter() - started
        return response.status, content, time.perf_counter() - started

    def close(self) -> None:
        self.connection.close()


def sign_in(port: int, username: str) -> str:
    client = Client(port)
    status, content, _ = client.call("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
    client.close()
    if status != 200:
        raise SystemExit(f"sign-in of {username} failed: {status} {content[:300]!r}")
    return json.loads(content)["token"]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# -- CPU accounting -------------------------------------------------------------------------------------------------
# The machine is shared, so rates depend on what else runs. The CPU time that one completion costs the server, the
# database and the clients does not: from it follows the rate two idle cores could sustain.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """Fields 3… of /proc/PID/stat (after the command name), or None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cpu_seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def server_cpu(server: Server) -> dict[int, float]:
    """CPU seconds used so far by each process of gunicorn's process group."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[2]) == server.pid:
            found[int(entry.name)] = _cpu_seconds(fields)
    return found


def database_cpu(factory) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL process working for the bench database: its backends and
    autovacuum workers, and the server's background processes (WAL writer, checkpointer, background writer…), whose
    work a commit causes — they serve every database on the server, so other work on it is counted too."""
    with transaction(factory) as session:
        pids = session.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "OR (datname IS NULL AND backend_type <> 'client backend')")).scalars()
        return {pid: _cpu_seconds(fields) for pid in pids if (fields := _stat(pid))}


@dataclass
class CpuUse:
    server: float
    database: float
    clients: float


class CpuMeter:
    """CPU seconds spent by gunicorn, the database backends and this process between ``start`` and ``stop``."""

    def __init__(self, server: Server, factory):
        self.server, self.factory = server, factory

    def start(self) -> None:
        self.before = (server_cpu(self.server), database_cpu(self.factory), time.process_time())

    def stop(self) -> CpuUse:
        after = (server_cpu(self.server), database_cpu(self.factory), time.process_time())

        def spent(old: dict, new: dict) -> float:
            return sum(value - old.get(pid, 0.0) for pid, value in new.items())

        return CpuUse(spent(self.before[0], after[0]), spent(self.before[1], after[1]), after[2] - self.before[2])


# -- 3. the inbox beside the completions -----------------------------------------------------------------------------
# Officers whose inbox is read while the completions run: the verifier of the office whose verification tasks the
# bench completes (their inbox changes under them), then the supervisor of that office, then two smaller inboxes.
BESIDE_PROFILES = ("verifier.sulsel.1", "supervisor.sulsel", "head_of_office.gowa.1", "regency_fisheries.sinjai.1")


class InboxReader:
    """One officer requesting their inbox (``GET /api/v1/tasks?limit=50``) at a steady pace, on a keep-alive
    connection of their own, in a thread of its own from ``start`` to ``stop``.

    A request is sent at its scheduled time; when the answer before it came later than that, it is sent at once and
    counted as ``late`` (the pace then continues from that moment, with no burst to catch up). The latency is that
    of the request from its sending: with no late request, it is also the delay from the schedule."""

    def __init__(self, port: int, username: str, token: str, rate: float):
        self.username, self.rate = username, rate
        self.path = INBOX + "?" + urlencode({"limit": 50})
        self.client = Client(port, token)
        self.latencies: list[float] = []
        self.errors = self.late = 0
        self.sizes: list[str] = []  # the inbox's size in the first and the last answer 200: its size meanwhile
        self.last = b""  # the last answer 200
        self.error_samples: list[str] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"inbox {username}", daemon=True)
        self.client.call("GET", self.path)  # outside the measure: the connection opened, the worker's code warm

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self.client.close()
        if self.sizes:
            self.sizes.append(inbox_size(self.last))

    def size(self) -> str:
        """The inbox's size at the first and the last answer."""
        if not self.sizes:
            return "–"
        first, last = self.sizes[0], self.sizes[-1]
        return first if first == last else f"{first} → {last}"

    def _run(self) -> None:
        interval = 1 / self.rate
        due = time.perf_counter()
        while not self._stopping.is_set():
            wait = due - time.perf_counter()
            if wait > 0 and self._stopping.wait(wait):
                break
            status, content, took = self.client.call("GET", self.path)
            self.latencies.append(took)
            if status == 200:
                self.last = content
                if not self.sizes:
                    self.sizes.append(inbox_size(content))
            else:
                self.errors += 1
                if len(self.error_samples) < 3:
                    self.error_samples.append(f"{status} {content[:200]!r}")
            due += interval
            if due < time.perf_counter():
                self.late += 1
                due = time.perf_counter()


def inbox_size(answer: bytes) -> str:
    """The inbox's ``total`` as the page shows it: "1,000+" when the server stopped counting at its cap."""
    page = json.loads(answer)
    return f"{page['total']:,}" + ("+" if page.get("total_capped") else "")


def kept_workflows(server: Server) -> dict[str, float]:
    """``lincah_kept_workflows_total`` by result (reused, restored) from ``GET /metrics``: the server runs with a
    ``PROMETHEUS_MULTIPROC_DIR``, so the figures add up every gunicorn worker."""
    client = Client(server.port)
    status, content, _ = client.call("GET", "/metrics")
    client.close()
    if status != 200:
        raise SystemExit(f"GET /metrics answered {status}: {content[:300]!r}")
    found = {}
    for line in content.decode().splitlines():
        if line.startswith("lincah_kept_workflows_total{") and (match := re.search(r'result="(\w+)"', line)):
            found[match[1]] = found.get(match[1], 0.0) + float(line.rsplit(" ", 1)[1])
    return found


@dataclass
class KeptWorkflows:
    """Steps that reused a workflow kept in memory, and all steps, over the completions (warm-up included)."""

    reused: float
    steps: float

    def line(self) -> str:
        share = f"{self.reused / self.steps:.1%}" if self.steps else "–"
        return (f"Kept-workflow cache (`lincah_kept_workflows_total` from `GET /metrics`, both workers) over the "
                f"completions: {self.reused:.0f} of {self.steps:.0f} steps reused a kept workflow ({share}). Each "
                "application of this bench takes one step (verify → approve) in it, so no step can find its "
                "workflow kept: the arrival pattern, not the cache, sets this rate.")


# -- 1. completions -------------------------------------------------------------------------------------------------

@dataclass
class Level:
    clients: int
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    ran_out: bool = False
    cpu: CpuUse | None = None
    readers: list[InboxReader] = field(default_factory=list)  # the inbox requested beside (section 3)
    load: float = float("nan")  # the machine's 1-minute load average when the row ended
    tree: str = "this tree"  # the code of the server that answered (--before-tree: "before" for the other one)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def cpu_ms(self) -> tuple[float, float, float]:
        """CPU milliseconds per completion: server, database, clients."""
        use, count = self.cpu, max(self.ok, 1)
        return use.server * 1000 / count, use.database * 1000 / count, use.clients * 1000 / count

    @property
    def ceiling(self) -> float:
        """Completions/s that the machine's cores could sustain at this CPU cost if nothing else ran: a projection,
        never measured (the report says so)."""
        return (os.cpu_count() or 1) * 1000 / sum(self.cpu_ms())


def run_level(server: Server, meter: CpuMeter, tokens: list[str], task_ids: list[str], clients: int,
              seconds: float, readers: list[InboxReader] = ()) -> Level:
    """``clients`` threads complete tasks from one queue until ``seconds`` have passed or the tasks run out; the
    ``readers`` (officers opening their inbox at a steady pace) run for exactly that time beside them."""
    work: queue.Queue[str] = queue.Queue()
    for task_id in task_ids:
        work.put(task_id)
    level, lock = Level(clients), threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(token: str) -> None:
        client, mine = Client(server.port, token), []
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            try:
                task_id = work.get_nowait()
            except queue.Empty:
                level.ran_out = True
                break
            status, content, took = client.call("POST", f"/api/v1/tasks/{task_id}/complete", APPROVE)
            mine.append((status, took, content))
        client.close()
        with lock:
            for status, took, content in mine:
                level.latencies.append(took)
                if status == 200:
                    level.ok += 1
                else:
                    level.errors += 1
                    if len(level.error_samples) < 3:
                        level.error_samples.append(f"{status} {content[:200]!r}")

    threads = [threading.Thread(target=worker, args=(tokens[n % len(tokens)],)) for n in range(clients)]
    for thread in threads:
        thread.start()
    meter.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    for reader in readers:
        reader.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    level.seconds = time.perf_counter() - started
    for reader in readers:
        reader.stop()
    level.cpu = meter.stop()
    level.readers = list(readers)
    return level


def pool(conninfo: str, templates: list[int], count: int) -> list[str]:
    """``count`` applications waiting at verification for one row (copies of the engine's: ``http_load_data``)."""
    log(f"completions: copying {count:,} applications waiting at verification …")
    return http_load_data.clone_applications(conninfo, templates, count)


def close_leftovers(conninfo: str, task_ids: list[str]) -> None:
    """The open tasks of a row's applications are cancelled after it: the verifications no client took and the
    signing steps the approvals opened. The sulsel officers' inboxes then hold the generated tasks and one row's
    pool at most, as in the inbox measure (2.), not every earlier row's work."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("UPDATE task SET state = 'cancelled' WHERE state IN ('ready', 'claimed') AND instance_id IN "
                     "(SELECT instance_id FROM task WHERE id = ANY(%s))", (task_ids,))


@dataclass
class Completions:
    levels: list[Level]  # completions alone, one per client count
    beside: list[Level]  # the same client counts with the officers' inbox requested beside, each right after its twin
    check: str  # the database's count of completed tasks against the answers 200
    kept: KeptWorkflows


def completions(args, factory, ctx, conninfo: str, server: Server, before: Server | None = None) -> Completions:
    """The client counts in turn, after a warm-up, each followed by its run with the inbox beside (interleaved, so
    both see the same machine). With a ``before`` server (the code before a change), each run with the inbox beside
    is made on both servers, in turns that swap their order from one client count to the next."""
    levels = [int(n) for n in args.clients.split(",")]
    beside_levels = [int(n) for n in args.beside_clients.split(",")] if args.beside_readers else []
    usernames = [f"bench.verifier.{n}" for n in range(1, max(levels + beside_levels) + 1)]
    log(f"completions: {len(usernames)} verifiers, {TEMPLATES} applications by the engine …")
    create_users(factory, ctx, [(u, ["officer"], ["verifier"], ["sulsel"]) for u in usernames])
    readers = BESIDE_PROFILES[:args.beside_readers]
    create_users(factory, ctx, [(username, roles, groups, offices) for _, username, roles, groups, offices
                                in PROFILES if username in readers])
    templates = start_templates(factory, ctx, TEMPLATES)
    tokens = [sign_in(server.port, u) for u in usernames]
    reader_tokens = {username: sign_in(server.port, username) for username in readers}
    servers = [server] + ([before] if before else [])
    kept_before = [kept_workflows(one) for one in servers]
    warmup = [run_level(one, CpuMeter(one, factory), tokens, pool(conninfo, templates, WARMUP_COMPLETIONS), 4, 60)
              for one in servers]
    if any(level.errors for level in warmup):
        raise SystemExit(f"warm-up completions failed: {[level.error_samples for level in warmup]}")
    results, beside = [], []
    note_load("completions")
    for number, clients in enumerate(sorted(set(levels + beside_levels))):
        runs = [(server, ())] if clients in levels else []
        if clients in beside_levels:
            runs += [(one, readers) for one in (servers if number % 2 else servers[::-1])]
        for target, usernames_beside in runs:
            inbox_readers = [InboxReader(target.port, username, reader_tokens[username], args.beside_rate)
                             for username in usernames_beside]
            task_ids = pool(conninfo, templates, args.pool)
            level = run_level(target, CpuMeter(target, factory), tokens, task_ids, clients, args.seconds,
                              inbox_readers)
            level.load, level.tree = os.getloadavg()[0], target.tree
            close_leftovers(conninfo, task_ids)
            server_ms, database_ms, clients_ms = level.cpu_ms()
            log(f"  {clients:>3} clients ({target.tree}): {level.ok} completions in {level.seconds:.1f} s = "
                f"{level.rate:.0f}/s, {level.errors} errors {level.error_samples}; CPU per completion "
                f"{server_ms:.1f} + {database_ms:.1f} + {clients_ms:.1f} ms")
            for reader in inbox_readers:
                log(f"      beside: inbox of {reader.username}: {len(reader.latencies)} requests, p95 "
                    f"{percentile(reader.latencies, 0.95) * 1000:.1f} ms, {reader.errors} errors "
                    f"{reader.error_samples}, {reader.late} late")
            (beside if inbox_readers else results).append(level)
    note_load("completions")
    kept_after = [kept_workflows(one) for one in servers]

    def counted(result: str) -> float:
        return sum(after.get(result, 0.0) - start.get(result, 0.0) for start, after in zip(kept_before, kept_after,
                                                                                            strict=True))

    kept = KeptWorkflows(counted("reused"), counted("reused") + counted("restored"))
    in_database = completed_by(factory, usernames)
    expected = sum(level.ok for level in warmup + results + beside)
    verdict = "consistent" if in_database == expected else "**INCONSISTENT**"
    return Completions(results, beside, f"Database check: {expected} answers 200 (warm-up included), {in_database} "
                       f"tasks completed by the bench verifiers in the database — {verdict}.", kept)


# -- 2. inbox -------------------------------------------------------------------------------------------------------

@dataclass
class InboxResult:
    label: str
    total: str | None  # tasks in the inbox, "1,000+" past the server's count cap (None: not an inbox request)
    latencies: list[float]
    errors: int
    cpu: CpuUse

    def cpu_ms(self) -> tuple[float, float]:
        """CPU milliseconds per request: server, database."""
        count = max(len(self.latencies), 1)
        return self.cpu.server * 1000 / count, self.cpu.database * 1000 / count


def measure_inbox(server: Server, meter: CpuMeter, token: str, label: str, path: str, query: dict,
                  requests: int, seconds: float) -> InboxResult:
    """``requests`` sequential GETs after a warm-up, fewer if they take more than ``seconds`` (at least 20)."""
    client = Client(server.port, token)
    if path == INBOX:
        path += "?" + urlencode({"limit": 50, **query})
    total, errors, latencies = None, 0, []
    deadline = float("inf")
    for n in range(WARMUP_INBOX + requests):
        if n == WARMUP_INBOX:
            meter.start()
            deadline = time.perf_counter() + seconds
        elif len(latencies) >= 20 and time.perf_counter() > deadline:
            break
        status, content, took = client.call("GET", path)
        if status != 200:
            errors += 1
        elif total is None and path.startswith(INBOX):
            total = inbox_size(content)
        if n >= WARMUP_INBOX:
            latencies.append(took)
    cpu = meter.stop()
    client.close()
    return InboxResult(label, total, latencies, errors, cpu)


def load_inbox_data(args, factory, ctx, conninfo: str) -> dict:
    log(f"inbox: generating {args.total:,} tasks ({args.open:,} open) …")
    started = time.perf_counter()
    loaded = http_load_data.load_history(conninfo, total=args.total, open_=args.open,
                                         now=datetime.now(UTC).replace(tzinfo=None), log=log)
    log(f"inbox: {loaded['tasks']:,} tasks, {loaded['open']:,} open, loaded in {time.perf_counter() - started:.0f} s")
    create_users(factory, ctx, [(username, roles, groups, offices) for _, username, roles, groups, offices
                                in PROFILES])
    return loaded


def inbox(args, factory, server: Server) -> list[InboxResult]:
    tokens = {username: sign_in(server.port, username) for _, username, *_ in PROFILES}
    meter = CpuMeter(server, factory)
    note_load("inbox")
    results = []
    for label, username, path, query in INBOX_CASES:
        result = measure_inbox(server, meter, tokens[username], label, path, query, args.inbox_requests,
                               args.inbox_seconds)
        log(f"  {label}: {result.total} tasks, p95 {percentile(result.latencies, 0.95) * 1000:.1f} ms")
        results.append(result)
    note_load("inbox")
    return results


# -- report ---------------------------------------------------------------------------------------------------------

def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


COMPLETIONS_HEADER = ("| clients | completions | errors | completions/s | p50 | p95 | ≥ 150/s | CPU per completion: "
                      "server + PostgreSQL + clients | ÷ raw-step CPU |\n|---:|---:|---:|---:|---:|---:|---|---|---:|")
INBOX_HEADER = ("| inbox | tasks in it | requests | errors | p50 | p95 | p95 ≤ 50 ms | CPU per request: server + "
                "PostgreSQL |\n|---|---:|---:|---:|---:|---:|---|---|")


def completions_table(levels: list[Level], reference: raw_step.RawStep) -> str:
    """One row per client count; the last column divides the total CPU per completion by the raw SpiffWorkflow
    step's CPU, measured in the same run."""
    rows = [reference.line(), "", COMPLETIONS_HEADER]
    for level in levels:
        note = " (tasks ran out)" if level.ran_out else ""
        p50, p95 = (percentile(level.latencies, share) * 1000 for share in (0.5, 0.95))
        app, database, clients = level.cpu_ms()
        rows.append(f"| {level.clients} | {level.ok}{note} | {level.errors} | {level.rate:.0f} | {p50:.0f} ms | "
                    f"{p95:.0f} ms | {met(level.rate >= TARGET_RATE)} | {app:.1f} + {database:.1f} + {clients:.1f} = "
                    f"{app + database + clients:.1f} ms | {reference.cpu_times(app + database + clients):.1f} |")
    return "\n".join(rows)


def inbox_table(inbox_results: list[InboxResult]) -> str:
    rows = [INBOX_HEADER]
    for result in inbox_results:
        p95 = percentile(result.latencies, 0.95) * 1000
        size, verdict = ("–", "(reference)") if result.total is None else (result.total, met(p95 <= TARGET_P95_MS))
        app, database = result.cpu_ms()
        rows.append(f"| {result.label} | {size} | {len(result.latencies)} | {result.errors} | "
                    f"{statistics.median(result.latencies) * 1000:.1f} ms | {p95:.1f} ms | {verdict} | "
                    f"{app:.1f} + {database:.1f} = {app + database:.1f} ms |")
    return "\n".join(rows)


BESIDE_HEADER = ("| clients completing | completions/s alone → beside | inbox of | tasks in it | requests | errors | "
                 "sent late | p50 | p95 | max | p95 ≤ 50 ms | p95 ÷ raw step | load (1 min) |\n"
                 "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")


def beside_table(done: Completions, reference: raw_step.RawStep, rate: float) -> str:
    """One row per officer reading their inbox beside each client count; the completions/s of the same client count
    without them (the row just before, in the same run) for comparison; the inbox's p95 as a multiple of the raw
    SpiffWorkflow step's wall time in this run."""
    alone = {level.clients: level.rate for level in done.levels}
    compared = any(level.tree != "this tree" for level in done.beside)
    header = BESIDE_HEADER.replace("| clients completing |", "| server's code | clients completing |").replace(
        "|---:|---|---|", "|---|---:|---|---|", 1) if compared else BESIDE_HEADER
    rows = [reference.line(), "", f"Each officer requests `GET /api/v1/tasks?limit=50` {rate:g} times a second while "
            "the completions run:", "", header]
    for level in done.beside:
        before = f"{alone[level.clients]:.0f} → " if level.clients in alone else ""
        tree = f"| {level.tree} " if compared else ""
        for reader in level.readers:
            p50, p95, worst = (percentile(reader.latencies, share) * 1000 for share in (0.5, 0.95, 1.0))
            rows.append(f"{tree}| {level.clients} | {before}{level.rate:.0f} | {reader.username} | {reader.size()} | "
                        f"{len(reader.latencies)} | {reader.errors} | {reader.late} | {p50:.1f} ms | {p95:.1f} ms | "
                        f"{worst:.1f} ms | {met(p95 <= TARGET_P95_MS)} | {reference.times(p95):.1f} | "
                        f"{level.load:.1f} |")
    return "\n".join(rows + ["", done.kept.line()])


def report(args, done: Completions | None, inbox_results: list[InboxResult], loaded: dict | None,
           reference: raw_step.RawStep) -> None:
    levels = done.levels if done else []
    if args.readme:  # the README's tables alone, between their markers (bench/readme_tables.py)
        tables = ([marked("http_load:completions", completions_table(levels, reference))] if levels else []) + (
            [marked("http_load:inbox", inbox_table(inbox_results))] if inbox_results else []) + (
            [marked("http_load:beside", beside_table(done, reference, args.beside_rate))] if done and done.beside
            else [])
        print("\n\n".join(tables))
        return
    loads = "; ".join(f"{part} {start:.1f} → {end:.1f}" for part, (start, end) in LOADS.items())
    print(f"gunicorn {args.workers} workers × {args.threads} thread(s), PostgreSQL, {os.cpu_count()} cores shared by "
          f"server, database and clients; load average (1 min) at start → end: {loads}.\n")
    if levels:
        print(f"Task completions through HTTP (research permit, verify → approve; {args.seconds:g} s per row):\n")
        print(completions_table(levels, reference))
        best = max(levels, key=lambda level: level.rate)
        print(f"\nBest: {best.rate:.0f} completions/s with {best.clients} clients — target ≥ {TARGET_RATE:.0f}/s: "
              f"{met(best.rate >= TARGET_RATE)}. CPU is measured per process (/proc): gunicorn's workers, the "
              "PostgreSQL backends of the bench database with the server's background processes, and this client "
              f"process. A projection, not a measurement: {os.cpu_count()} idle cores spending only this CPU would "
              f"do {best.ceiling:.0f} completions/s. {done.check}\n")
    if done and done.beside:
        print(f"The officers' inbox beside the completions ({args.seconds:g} s per client count, right after the same "
              "count alone):\n")
        print(beside_table(done, reference, args.beside_rate))
        worst = max(percentile(reader.latencies, 0.95) for level in done.beside for reader in level.readers) * 1000
        print(f"\nWorst inbox p95 beside the completions: {worst:.1f} ms — target ≤ {TARGET_P95_MS:.0f} ms: "
              f"{met(worst <= TARGET_P95_MS)}.\n")
    elif done:
        print(done.kept.line() + "\n")
    if inbox_results:
        print(f"Inbox `GET /api/v1/tasks?limit=50` (sorted by due_at), {loaded['tasks']:,} tasks in the database, "
              f"{loaded['open']:,} open; one client, sequential requests after a warm-up:\n")
        print(inbox_table(inbox_results))
        worst = max(percentile(result.latencies, 0.95) for result in inbox_results if result.total is not None) * 1000
        print(f"\nWorst inbox p95: {worst:.1f} ms — target ≤ {TARGET_P95_MS:.0f} ms: {met(worst <= TARGET_P95_MS)}.")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_HTTP_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="bench database on 127.0.0.1 (its public schema is dropped!)")
    parser.add_argument("--open", type=int, default=100_000, help="open tasks generated for the inbox")
    parser.add_argument("--total", type=int, default=1_000_000, help="tasks generated in all")
    parser.add_argument("--clients", default="1,4,8,16", help="client counts for the completions")
    parser.add_argument("--seconds", type=float, default=15, help="duration of each client count")
    parser.add_argument("--pool", type=int, default=4000,
                        help="applications prepared per client count (a row ends early when they run out)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (0: sync workers)")
    parser.add_argument("--inbox-requests", type=int, default=200, help="measured requests per inbox case")
    parser.add_argument("--inbox-seconds", type=float, default=20,
                        help="time budget per inbox case (a slow case is measured on fewer requests, at least 20)")
    parser.add_argument("--beside-readers", type=int, default=2, choices=range(len(BESIDE_PROFILES) + 1),
                        help="officers requesting their inbox while the completions run (0: none)")
    parser.add_argument("--beside-rate", type=float, default=5.0, help="inbox requests per second of each officer")
    parser.add_argument("--beside-clients", help="client counts run again with the inbox beside (default: --clients)")
    parser.add_argument("--before-tree", type=Path,
                        help="a source tree with the code before a change (e.g. git worktree add /tmp/before HEAD~1): "
                             "its server runs each row with the inbox beside too, interleaved with this tree's")
    parser.add_argument("--skip-inbox", action="store_true")
    parser.add_argument("--skip-completions", action="store_true")
    parser.add_argument("--readme", action="store_true", help="print only the README's tables, with their markers")
    args = parser.parse_args()
    args.beside_clients = args.beside_clients or args.clients
    if args.beside_rate <= 0:
        parser.error("--beside-rate: use a number of requests per second above 0")
    return args


def main() -> None:
    args = parse_args()
    check_local(args.postgres)
    log("raw SpiffWorkflow step (bench/raw_step.py): the yardstick of this run")
    reference = raw_step.measure()
    log(reference.line())
    started = time.perf_counter()
    done, inbox_results, loaded = None, [], None
    with tempfile.TemporaryDirectory() as tmp:
        instance_path = Path(tmp) / "instance"
        reset_database(args.postgres)
        ctx = EngineContext(settings=Settings(database_url=args.postgres, instance_path=instance_path))
        factory = make_session_factory(make_engine(args.postgres))
        conninfo = libpq_conninfo(args.postgres)
        deploy_services(factory, ctx)
        if not args.skip_inbox:
            loaded = load_inbox_data(args, factory, ctx, conninfo)
        with gunicorn(args.postgres, instance_path, Path(tmp) / "gunicorn.log", args.workers,
                      args.threads) as server:
            if not args.skip_inbox:
                inbox_results = inbox(args, factory, server)
            with (gunicorn(args.postgres, instance_path, Path(tmp) / "gunicorn-before.log", args.workers,
                           args.threads, root=args.before_tree.resolve()) if args.before_tree
                  else nullcontext()) as before:
                if not args.skip_completions:
                    done = completions(args, factory, ctx, conninfo, server, before)
    log(f"whole run: {time.perf_counter() - started:.0f} s")
    report(args, done, inbox_results, loaded, reference)


if __name__ == "__main__":
    main()
