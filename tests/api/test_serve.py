"""``lincah serve`` — what ``make run`` starts — is gunicorn with the scheduler inside its one worker, and stops
cleanly on SIGTERM (as systemd and Ctrl+C stop it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from tests.conftest import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(port: int) -> tuple[dict, dict] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as response:
            return json.loads(response.read()), dict(response.headers)
    except OSError:
        return None


def test_serve_runs_the_product_on_gunicorn_with_the_scheduler_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "LINCAH_DATABASE_URL": f"sqlite:///{tmp_path / 'lincah.db'}",
           "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    lincah = [sys.executable, "-m", "api.cli"]
    subprocess.run([*lincah, "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([*lincah, "serve", "--port", str(port), "--threads", "4"], cwd=PROJECT_ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        # Served, and the scheduler inside has written its heartbeat (its first runs start with the server).
        while (answer := _health(port)) is None or answer[0]["scheduler"]["state"] != "running":
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "not serving: " + log_path.read_text()
            time.sleep(0.2)
        body, headers = answer
        assert body["status"] == "ok" and body["scheduler"]["in_this_process"] is True
        assert headers.get("Server", "").startswith("gunicorn")
        # The worker's reads-first pool served the GETs above and says how long they waited for a thread.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        waited = [line for line in metrics.splitlines()
                  if line.startswith('lincah_request_queue_seconds_count{kind="read"}')]
        assert waited and float(waited[0].split()[-1]) >= 1, metrics[:2000]
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    log = log_path.read_text()
    assert "Using worker: api.reads_first.ReadsFirstWorker" in log and "Shutting down" in log
    assert "Traceback" not in log and "Control socket" not in log
    # Lincah's own INFO lines, formatted with their request id: one per request, and the scheduler's start.
    assert " INFO lincah.http [" in log and "GET /api/v1/health 200" in log and "INFO lincah.scheduler" in log


def test_serve_on_a_port_in_use_says_so_and_what_to_do(tmp_path):
    from click.testing import CliRunner

    from api import cli as lincah

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(lincah.main, ["serve", "--port", str(port), "--no-scheduler"], env={
            "LINCAH_DATABASE_URL": f"sqlite:///{tmp_path / 'lincah.db'}",
            "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 1
    assert f"Cannot serve on 127.0.0.1:{port}" in result.output and "already running" in result.output
    assert f"--port {port + 1}" in result.output and "Traceback" not in result.output


def test_the_served_app_is_built_then_kept_out_of_the_garbage_collectors_way():
    import gc

    from api import server

    built = []
    gc.unfreeze()
    try:
        app = server._OneProcess(lambda: built.append("app") or "the app", {"workers": 1}).load()
        assert app == "the app" and built == ["app"]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
