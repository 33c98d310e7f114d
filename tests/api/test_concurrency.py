"""Two officers complete the same task at the same moment through real HTTP servers: one wins, one gets 409.

On PostgreSQL the server is gunicorn with two worker processes (production's shape); on SQLite it is the threaded
development server of ``lincah serve``. Both are started on a free local port and always stopped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.config import Settings
from engine.context import EngineContext
from engine.people import tokens
from engine.people.access import Actor
from engine.services import definitions
from engine.storage.models import Event, Instance, Task, User
from tests import samples
from tests.conftest import PROJECT_ROOT

ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(url: str, method: str = "GET", token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@contextmanager
def _server(db, instance_path: Path, log_path: Path):
    port = _free_port()
    env = {**os.environ, "LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(instance_path)}
    if db.backend == "postgresql":
        command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--worker-class", "sync",
                   "--bind", f"127.0.0.1:{port}", "--timeout", "60", "api:create_app()"]
    else:
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if _call(f"{base}/services")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server did not start: " + log_path.read_text()
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _setup(db, ctx) -> tuple[list[str], list[int]]:
    """Two verifiers with tokens, and ROUNDS applications each waiting at verification."""
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                           definitions.form_source(ctx, path), actor="analis")
        issued = []
        for name in ("vera", "veri2"):
            user = User(username=name, password_hash="-", full_name=name, roles=["officer"], groups=["verifier"],
                        jurisdictions=["sulsel"], active=True, created_at=ctx.now())
            session.add(user)
            session.flush()
            issued.append(tokens.issue(session, ctx, user).token)
        applicant = Actor.of("andi", ["applicant"], full_name="Andi Pratama")
        ids = [applications.start(session, ctx, service="research_permit", data=samples.research_application(),
                                  actor=applicant).id for _ in range(ROUNDS)]
    return issued, ids


def _race(base: str, task_id: str, tokens_: list[str]) -> list[int]:
    barrier = threading.Barrier(len(tokens_))
    statuses: list[int] = []

    def complete(token):
        barrier.wait()
        body = {"data": {**samples.VERIFIED, "note": "ok"}, "decision": "Setujui"}
        status, _ = _call(f"{base}/tasks/{task_id}/complete", "POST", token, body)
        statuses.append(status)

    threads = [threading.Thread(target=complete, args=(t,)) for t in tokens_]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_two_simultaneous_completions_one_200_one_409_and_a_consistent_application(db, tmp_path):
    ctx = EngineContext(settings=Settings(database_url=db.url, instance_path=tmp_path / "instance"))
    issued, ids = _setup(db, ctx)
    with _server(db, tmp_path / "instance", tmp_path / "server.log") as base:
        for instance_id in ids:
            status, detail = _call(f"{base}/applications/{instance_id}", token=issued[0])
            assert status == 200
            (task,) = detail["tasks"]
            assert _race(base, task["id"], issued) == [200, 409]

            status, after = _call(f"{base}/applications/{instance_id}", token=issued[1])
            assert [t["element_id"] for t in after["tasks"]] == ["Task_Sign"]
            assert after["revision"] == detail["revision"] + 1
            with db.transaction() as session:
                verify = session.get(Task, task["id"])
                assert verify.state == "completed" and verify.completed_by in ("vera", "veri2")
                completions = session.query(Event).filter_by(instance_id=instance_id, kind="task_completed").count()
                assert completions == 1
                assert session.get(Instance, instance_id).status == "running"
                open_rows = session.query(Task).filter(Task.instance_id == instance_id,
                                                       Task.state.in_(("ready", "claimed"))).count()
                assert open_rows == 1
