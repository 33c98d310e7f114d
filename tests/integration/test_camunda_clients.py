"""Camunda's own worker libraries — camunda-external-task-client-python3 (PyPI) and camunda-external-task-client-js
(npm) — unmodified, against a real ``lincah serve`` (gunicorn) on 127.0.0.1: only the base URL says it is Lincah."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

import pytest
from camunda.external_task.external_task_worker import ExternalTaskWorker

from engine.casework import applications
from engine.config import Settings
from engine.context import EngineContext
from engine.storage.db import make_engine, make_session_factory, transaction
from engine.storage.models import ExternalTask, Instance
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import APPLICANT
from tests.engine.test_external_tasks import FORMS, NIK_CHECK

JS_WORKERS = PROJECT_ROOT / "tests" / "workers" / "js"
LINCAH = [sys.executable, "-m", "api.cli"]


@dataclass
class Served:
    base: str  # …/engine-rest
    secret: str
    ctx: EngineContext
    factory: object

    def apply(self) -> int:
        """A new application waiting at the NIK check; its id."""
        with transaction(self.factory) as session:
            return applications.start(session, self.ctx, service="p", data={"nik": "7371010101010001"},
                                      actor=APPLICANT).id

    def instance(self, instance_id: int) -> Instance:
        with transaction(self.factory) as session:
            instance = session.get(Instance, instance_id)
            session.expunge(instance)
            return instance

    def external_task(self, instance_id: int) -> ExternalTask:
        with transaction(self.factory) as session:
            row = session.query(ExternalTask).filter_by(instance_id=instance_id).one()
            session.expunge(row)
            return row


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lincah(env, *args) -> str:
    done = subprocess.run([*LINCAH, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``lincah serve`` on a free port with the NIK-check service deployed and an API client for its topic."""
    home = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{home / 'lincah.db'}"
    env = {**os.environ, "LINCAH_DATABASE_URL": url, "LINCAH_INSTANCE_PATH": str(home / "instance")}
    (home / "forms").mkdir()
    (home / "nik.bpmn").write_text(NIK_CHECK, encoding="utf-8")
    (home / "forms" / "apply.json").write_text(json.dumps(FORMS["apply"]), encoding="utf-8")
    _lincah(env, "db", "upgrade")
    _lincah(env, "deploy", str(home / "nik.bpmn"))
    secret = _lincah(env, "clients", "add", "dukcapil", "--topic", "nik-check").strip().splitlines()[-1]
    port = _free_port()
    log_path = home / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([*LINCAH, "serve", "--port", str(port), "--threads", "4", "--no-scheduler"],
                                  cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "not serving: " + log_path.read_text()
                time.sleep(0.2)
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=home / "instance"))
        yield Served(f"http://127.0.0.1:{port}/engine-rest", secret, ctx, make_session_factory(engine))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        engine.dispose()
    assert "Traceback" not in log_path.read_text()


def _python_worker(served: Served) -> ExternalTaskWorker:
    return ExternalTaskWorker("py-worker", base_url=served.base, config={
        "auth_basic": {"username": "dukcapil", "password": served.secret}, "maxTasks": 1, "lockDuration": 10000,
        "asyncResponseTimeout": 2000, "retries": 1, "retryTimeout": 1000})


def test_the_python_client_completes_a_task(served):
    instance_id = served.apply()
    seen = {}

    def check_nik(task):
        seen.update(nik=task.get_variable("nik"), key=task.get_business_key())
        return task.complete({"nik_valid": True, "name": "ANDI PRATAMA"})

    _python_worker(served).fetch_and_execute("nik-check", check_nik)
    instance = served.instance(instance_id)
    assert seen == {"nik": "7371010101010001", "key": instance.registration_no}
    assert (instance.status, instance.outcome) == ("completed", "NIK sah")


def test_the_python_client_reports_a_bpmn_error_the_boundary_event_catches(served):
    instance_id = served.apply()
    _python_worker(served).fetch_and_execute(
        "nik-check", lambda task: task.bpmn_error("NIK_INVALID", "unknown NIK", {"nik_valid": False}))
    assert served.instance(instance_id).outcome == "Ditolak"


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (JS_WORKERS / "node_modules" / "camunda-external-task-client-js").is_dir():
        if os.environ.get("CI"):
            pytest.fail("CI runs Camunda's JavaScript worker: install Node.js and run 'make workers'",
                        pytrace=False)
        pytest.skip("not run: needs Node.js and 'make workers' (tests/workers/js/node_modules)")
    return node


@pytest.mark.parametrize(("mode", "outcome"), [("complete", "NIK sah"), ("bpmnError", "Ditolak")])
def test_the_javascript_client_completes_or_throws(served, mode, outcome):
    node = _node()
    instance_id = served.apply()
    run = subprocess.run([node, "worker.mjs", served.base, "dukcapil", served.secret, mode], cwd=JS_WORKERS,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (served.instance(instance_id).status, served.instance(instance_id).outcome) == ("completed", outcome)


def test_a_failure_without_retries_from_the_javascript_client_is_an_incident(served):
    node = _node()
    instance_id = served.apply()
    run = subprocess.run([node, "worker.mjs", served.base, "dukcapil", served.secret, "failure"], cwd=JS_WORKERS,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    row, instance = served.external_task(instance_id), served.instance(instance_id)
    assert (row.state, row.error_message, row.error_details) == ("incident", "registry down", "HTTP 503")
    assert (instance.status, instance.error_element) == ("error", "check")
