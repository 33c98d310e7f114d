"""Two Lincah app hosts on one PostgreSQL, for real: network namespaces on this machine, one killed mid-load.

Used by ``tests/integration/test_two_hosts.py`` (small load, asserts) and ``bench/two_hosts.py`` (bigger load,
prints the figures for the README). Needs root (``ip netns``, veth pairs) and the local PostgreSQL.

The layout: namespaces ``lincah-a`` and ``lincah-b``, each joined to this one by a veth pair (10.77.1.0/24 and
10.77.2.0/24). PostgreSQL listens on 127.0.0.1 only, so a small TCP forwarder in this process offers it at
10.77.1.1:5432 and 10.77.2.1:5432 — each host reaches the database over its own link, as it would over a network.
In each namespace run ``lincah serve --no-scheduler`` (gunicorn) and ``lincah scheduler``, each in a process group
of its own, with an instance folder of its own: nothing is shared but the database.

The load, from this namespace: officers complete applications' verification steps over HTTP on both hosts; after the
step a 2-second BPMN timer closes the file (fired by whichever host's scheduler gets it); an applicant uploads
documents on one host and downloads them from the other. Half-way, every process of host A is killed with SIGKILL.
Then the database is read: every acknowledged completion must be stored, none twice; every timer must have fired
exactly once; every upload must download from host B.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.config import Settings
from engine.context import EngineContext
from engine.forms.schemas import FormSource
from engine.people import tokens, users
from engine.people.access import Actor
from engine.services import definitions
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade
from engine.storage.models import Event, Instance, Task, User

LINCAH = Path(sys.executable).with_name("lincah")
PORT = 8000
PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"

SERVICE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://lincah.test">
  <bpmn:process id="cluster_check" name="Uji dua host" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="verify"/>
    <bpmn:userTask id="verify" name="Verifikasi" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="verify" targetRef="cooling"/>
    <bpmn:intermediateCatchEvent id="cooling" name="Jeda dua detik">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT2S</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="cooling" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>
  </bpmn:process>
</bpmn:definitions>
"""


def unavailable() -> str | None:
    """Why this machine cannot build the namespaces, or ``None`` when it can."""
    if os.geteuid() != 0:
        return "needs root for ip netns and veth pairs"
    if shutil.which("ip") is None:
        return "needs the ip command (iproute2)"
    if not LINCAH.exists():
        return f"needs the lincah command beside {sys.executable}"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@dataclass
class Link:
    namespace: str
    outside: str  # this namespace's end (where the database is offered)
    inside: str  # the host's address


LINKS = (Link("lincah-a", "10.77.1.1", "10.77.1.2"), Link("lincah-b", "10.77.2.1", "10.77.2.2"))


@contextmanager
def network():
    """The two namespaces and their links; removed afterwards, also after a failure."""
    _remove_network()
    try:
        for n, link in enumerate(LINKS):
            outer, inner = f"lincah{n}o", f"lincah{n}i"
            _ip("netns", "add", link.namespace)
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", link.namespace)
            _ip("addr", "add", f"{link.outside}/24", "dev", outer)
            _ip("link", "set", outer, "up")
            _ip("-n", link.namespace, "addr", "add", f"{link.inside}/24", "dev", inner)
            _ip("-n", link.namespace, "link", "set", inner, "up")
            _ip("-n", link.namespace, "link", "set", "lo", "up")
        yield LINKS
    finally:
        _remove_network()


def _remove_network() -> None:
    for n, link in enumerate(LINKS):
        subprocess.run(["ip", "link", "del", f"lincah{n}o"], capture_output=True)
        subprocess.run(["ip", "netns", "del", link.namespace], capture_output=True)


class Forwarder:
    """Offers 127.0.0.1:5432 at ``address``:5432: one thread per direction of each connection."""

    def __init__(self, address: str, target: tuple[str, int] = ("127.0.0.1", 5432)):
        self.target = target
        self.listener = socket.create_server((address, 5432), reuse_port=False)
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        # One side went away (a killed host's sockets are closed by its kernel): close both, so PostgreSQL ends
        # that backend and rolls back whatever it had open.
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()
        with self.lock:
            for end in self.open:
                with suppress(OSError):
                    end.close()


@dataclass
class Host:
    name: str
    link: Link
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        return self.link.inside, PORT

    def kill(self) -> None:
        """SIGKILL to every process of the host (gunicorn's master and workers, the scheduler)."""
        for process in self.processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for process in self.processes:
            process.wait()

    def stop(self) -> None:
        for process in self.processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def start_host(name: str, link: Link, database_url: str, folder: Path, threads: int = 8) -> Host:
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LINCAH_DATABASE_URL": database_url.replace("127.0.0.1", link.outside),
           "LINCAH_INSTANCE_PATH": str(folder), "LINCAH_LIMIT_UPLOAD_PER_ACCOUNT": "100000 per minute",
           "LINCAH_LIMIT_UPLOAD_PER_ADDRESS": "100000 per minute", "LINCAH_LOG_LEVEL": "WARNING"}
    env.pop("LINCAH_SECRET_KEY", None)  # the hosts agree on one through the database
    host = Host(name, link)
    prefix = ["ip", "netns", "exec", link.namespace, str(LINCAH)]
    for args, log in ((["serve", "--host", link.inside, "--port", str(PORT), "--no-scheduler", "--threads",
                        str(threads)], "serve.log"),
                      (["scheduler", "--timers-every", "0.5", "--sla-every", "30", "--mail-every", "30"],
                       "scheduler.log")):
        with (folder / log).open("wb") as out:
            host.processes.append(subprocess.Popen(prefix + args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                                   start_new_session=True))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(host.address, "GET", "/api/v1/health")[0] in (200, 503):
                return host
        except OSError:
            time.sleep(0.3)
    host.stop()
    raise RuntimeError(f"host {name} did not answer within 60 s; see {folder}/serve.log")


def _request(address, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
             connection: http.client.HTTPConnection | None = None, timeout: float = 30):
    own = connection is None
    connection = connection or http.client.HTTPConnection(*address, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


@dataclass
class Installation:
    database_url: str
    factory: object
    ctx: EngineContext
    officers: list[str]
    applicant_token: str
    officer_tokens: list[str]


def prepare(database_url: str, folder: Path, applications_count: int, officers: int = 4) -> Installation:
    """Migrate, deploy the two-host check service, create the people and the applications waiting at verify."""
    upgrade(database_url)
    engine = make_engine(database_url, pool_size=4)
    factory = make_session_factory(engine)
    ctx = EngineContext(settings=Settings(database_url=database_url, instance_path=folder / "setup"))
    names = [f"petugas{n}" for n in range(officers)]
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile("cluster_check.bpmn", SERVICE.encode()), [], FormSource({}, []),
                           actor="bench")
        for name in names:
            users.create(session, username=name, password="Rahasia-dua-host-1", roles=["officer"],
                         groups=["verifier"], jurisdictions=[ctx.settings.default_jurisdiction], full_name=name,
                         email=None, at=ctx.now())
        users.create(session, username="pemohon", password="Rahasia-dua-host-1", roles=["applicant"], groups=[],
                     jurisdictions=[], full_name="Pemohon", email=None, at=ctx.now())
    with transaction(factory) as session:
        by_name = {u.username: u for u in session.scalars(select(User))}
        officer_tokens = [tokens.issue(session, ctx, by_name[name]).token for name in names]
        applicant_token = tokens.issue(session, ctx, by_name["pemohon"]).token
    applicant = Actor.of("pemohon", ["applicant"])
    for _ in range(applications_count):
        with transaction(factory) as session:
            applications.start(session, ctx, service="cluster_check", data={}, actor=applicant)
    return Installation(database_url, factory, ctx, names, applicant_token, officer_tokens)


@dataclass
class Report:
    acknowledged: int = 0  # completions answered 200
    refused: Counter = field(default_factory=Counter)  # other answers, by status
    lost_in_flight: int = 0  # requests to the killed host that got no answer
    rate_both: float = 0.0  # completions/s while both hosts served
    rate_survivor: float = 0.0  # completions/s on host B alone
    uploads: int = 0
    uploads_served_by_b: int = 0
    stored_completions: int = 0
    completed_twice: int = 0
    acknowledged_not_stored: int = 0
    timers_due: int = 0
    timers_fired_once: int = 0
    timers_fired_twice: int = 0
    timers_not_fired: int = 0
    kill_at: float = 0.0
    timer_drain_seconds: float = 0.0  # after the load, until every due timer had fired


def run_load(installation: Installation, hosts: list[Host], *, before_kill: float, after_kill: float,
             clients: int = 4, timer_wait: float = 30.0) -> Report:
    """Drive the load, kill host A after ``before_kill`` seconds, go on ``after_kill`` seconds on host B, then
    read the database and report (waiting for the timers while they progress, giving up after ``timer_wait``
    seconds without one firing)."""
    report = Report()
    with installation.factory() as session:
        work: queue.Queue[str] = queue.Queue()
        for task_id in session.scalars(select(Task.id).where(Task.element_id == "verify", Task.state == "ready")
                                       .order_by(Task.created_at)):
            work.put(task_id)
    a, b = hosts
    killed = threading.Event()
    stop = threading.Event()
    acknowledged: list[str] = []
    times: list[tuple[float, str]] = []
    lock = threading.Lock()
    uploaded: list[str] = []
    started = time.monotonic()

    def complete(worker: int) -> None:
        token = installation.officer_tokens[worker % len(installation.officer_tokens)]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connections: dict[str, http.client.HTTPConnection] = {}
        turn = worker
        while not stop.is_set():
            try:
                task_id = work.get_nowait()
            except queue.Empty:
                return
            turn += 1
            host = b if killed.is_set() or turn % 2 else a
            connection = connections.get(host.name) or http.client.HTTPConnection(*host.address, timeout=30)
            connections[host.name] = connection
            try:
                status, _ = _request(host.address, "POST", f"/api/v1/tasks/{task_id}/complete",
                                     json.dumps({"data": {}}).encode(), headers, connection)
            except (OSError, http.client.HTTPException):
                connection.close()
                connections.pop(host.name, None)
                with lock:
                    report.lost_in_flight += 1
                continue
            with lock:
                if status == 200:
                    acknowledged.append(task_id)
                    times.append((time.monotonic() - started, host.name))
                else:
                    report.refused[status] += 1

    def upload_and_fetch() -> None:
        headers = {"Authorization": f"Bearer {installation.applicant_token}"}
        while not stop.is_set():
            boundary = "lincahtwohosts"
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"surat.pdf\"\r\n"
                    f"Content-Type: application/pdf\r\n\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
            try:
                status, answer = _request(a.address if not killed.is_set() else b.address, "POST",
                                          "/api/v1/attachments", body,
                                          {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
            except (OSError, http.client.HTTPException):
                continue
            if status == 201:
                with lock:
                    uploaded.append(json.loads(answer)["id"])
            time.sleep(0.2)

    threads = [threading.Thread(target=complete, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=upload_and_fetch))
    for thread in threads:
        thread.start()
    time.sleep(before_kill)
    report.kill_at = time.monotonic() - started
    a.kill()
    killed.set()
    time.sleep(after_kill)
    stop.set()
    for thread in threads:
        thread.join()
    ended = time.monotonic() - started

    report.acknowledged = len(acknowledged)
    before = [t for t, _ in times if t <= report.kill_at]
    after = [t for t, _ in times if t > report.kill_at]
    report.rate_both = len(before) / report.kill_at if report.kill_at else 0.0
    report.rate_survivor = len(after) / (ended - report.kill_at) if ended > report.kill_at else 0.0

    headers = {"Authorization": f"Bearer {installation.applicant_token}"}
    report.uploads = len(uploaded)
    report.uploads_served_by_b = sum(
        1 for attachment_id in uploaded
        if _request(b.address, "GET", f"/api/v1/attachments/{attachment_id}", headers=headers) == (200, PDF))
    _check_database(installation, set(acknowledged), report, timer_wait)
    return report


def _check_database(installation: Installation, acknowledged: set[str], report: Report, timer_wait: float) -> None:
    with installation.factory() as session:
        completed = Counter(session.scalars(select(Event.task_id).where(Event.kind == "task_completed")))
        stored = set(session.scalars(select(Task.id).where(Task.element_id == "verify",
                                                           Task.state == "completed")))
    report.stored_completions = len(stored)
    report.completed_twice = sum(1 for count in completed.values() if count > 1)
    report.acknowledged_not_stored = len(acknowledged - stored)
    # Every stored completion started a 2-second timer: wait for the surviving scheduler to fire them all, as long as
    # it makes progress (a scheduler fires timers one application per transaction, slower than two hosts complete).
    began = last_progress = time.monotonic()
    remaining = None
    while True:
        with installation.factory() as session:
            waiting = session.scalar(select(func.count()).select_from(Instance)
                                     .join(Task, Task.instance_id == Instance.id)
                                     .where(Task.element_id == "verify", Task.state == "completed",
                                            Instance.status != "completed"))
        now = time.monotonic()
        if remaining is None or waiting < remaining:
            remaining, last_progress = waiting, now
        if not waiting or now - last_progress > timer_wait:
            break
        time.sleep(0.5)
    report.timer_drain_seconds = time.monotonic() - began
    with installation.factory() as session:
        due = set(session.scalars(select(Task.instance_id).where(Task.element_id == "verify",
                                                                 Task.state == "completed")))
        fired = Counter(session.scalars(select(Event.instance_id).where(Event.kind == "timer_fired")))
    report.timers_due = len(due)
    report.timers_fired_once = sum(1 for iid in due if fired[iid] == 1)
    report.timers_fired_twice = sum(1 for iid in due if fired[iid] > 1)
    report.timers_not_fired = sum(1 for iid in due if fired[iid] == 0)


@contextmanager
def cluster(database_url: str, folder: Path, applications_count: int, threads: int = 8):
    """The network, the forwarders, the prepared installation and both hosts; everything stopped afterwards."""
    with network() as links:
        forwarders = [Forwarder(link.outside) for link in links]
        hosts: list[Host] = []
        try:
            installation = prepare(database_url, folder, applications_count)
            for name, link in zip(("a", "b"), links, strict=True):
                hosts.append(start_host(name, link, database_url, folder / name, threads))
            yield installation, hosts
        finally:
            for host in hosts:
                host.stop()
            for forwarder in forwarders:
                forwarder.close()
