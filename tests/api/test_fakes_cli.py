"""``lincah fakes`` runs the fake registry and bank until interrupted, with fresh secrets for the demo's API clients:
the NIK worker's in a file of the instance folder, the bank's handed to the gateway for its callbacks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from engine.integration import clients
from tests.conftest import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_fakes_serve_until_interrupted_with_a_working_secret_for_the_worker(db, tmp_path):
    registry_port, gateway_port = _free_port(), _free_port()
    env = {**os.environ, "LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "fakes", "--registry-port", str(registry_port),
                                "--gateway-port", str(gateway_port)], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any("Ctrl-C" in line for line in lines) and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        output = "".join(lines)
        assert f"export LINCAH_CONNECTOR_ALLOWED_HOSTS=127.0.0.1:{gateway_port}" in output, output
        with urllib.request.urlopen(f"http://127.0.0.1:{registry_port}/nik/7307010101010002", timeout=10) as answer:
            assert json.loads(answer.read())["name"] == "Daeng Rahman"
        with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/", timeout=10) as answer:
            assert "Tagihan retribusi" in answer.read().decode()
        secret = (tmp_path / "instance" / "dukcapil-demo.secret").read_text().strip()
        with db.transaction() as session:
            caller = clients.authenticate(session, secret, "dukcapil-demo")
        assert caller.topics == frozenset({"nik-check"})
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
