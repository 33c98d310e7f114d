"""Under gunicorn with several workers (the README's production command) the metrics add up every worker's counts,
and each worker logs JSON lines with the request id."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, str] | None:
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return None


def _health_count(text: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "lincah_http_requests_total" and sample.labels["route"] == "/api/v1/health")


def test_two_gunicorn_workers_share_their_counts_and_log_json_with_request_ids(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "LINCAH_DATABASE_URL": f"sqlite:///{tmp_path / 'lincah.db'}",
           "LINCAH_INSTANCE_PATH": str(tmp_path / "instance"), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "LINCAH_LOG_FORMAT": "json", "LINCAH_METRICS_TOKEN": "scrape-me"}
    subprocess.run([sys.executable, "-m", "api.cli", "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True)
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                   "api.wsgi:app"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while _get(port, "/api/v1/health") is None:
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "not serving: " + log_path.read_text()
            time.sleep(0.2)
        for number in range(20):
            assert _get(port, "/api/v1/health", {"X-Request-ID": f"probe-{number}"}) is not None
        bearer = {"Authorization": "Bearer scrape-me"}
        scrapes = [_get(port, "/metrics", bearer) for _ in range(4)]
        assert _get(port, "/metrics") is None  # 403 without the token (urllib raises, so None)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    # Whichever worker answered the scrape, it counts the requests both workers served (the first probe too).
    for status, text in scrapes:
        assert status == 200 and _health_count(text) >= 21
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    answered = [line for line in lines if line["logger"] == "lincah.http" and line["request_id"].startswith("probe-")]
    assert len(answered) == 20 and answered[0]["message"].startswith("GET /api/v1/health 200")
    assert len({line["request_id"] for line in answered}) == 20
