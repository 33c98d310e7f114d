"""``make run``'s last step (deploy/run_demo.sh) on a fresh install: the server comes up with the fishery business
permit's outside world beside it, so a fisher's application gets its NIK checked by the reference worker and its
bill from the fake bank without anyone starting anything else — and stopping the script stops all of it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import PROJECT_ROOT

BIN = Path(sys.executable).parent
FISHER = {"applicant_name": "Daeng Rahman", "nik": "7307010101010002", "phone": "081298765432",
          "business_name": "UD Laut Sinjai", "nib": "1234567890123", "activity": "capture",
          "business_scale": "kecil", "fleet_gt": 12, "home_regency": "sinjai",
          "business_address": "Jl. Pelabuhan 1, Sinjai", "declaration": True}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _call(method: str, url: str, body=None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


def _token(base: str, username: str) -> str:
    status, answer = _call("POST", f"{base}/api/v1/auth/token", {"username": username, "password": "lincah-demo"})
    assert status == 200, answer
    return answer["token"]


def test_make_run_serves_the_fishery_permit_with_its_registry_bank_and_worker_and_stops_them(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINCAH_")}
    port, registry_port, gateway_port = _free_port(), _free_port(), _free_port()
    env.update(LINCAH_INSTANCE_PATH=str(tmp_path), BIN=str(BIN), HOST="127.0.0.1", PORT=str(port),
               LINCAH_DEMO_REGISTRY_PORT=str(registry_port), LINCAH_DEMO_GATEWAY_PORT=str(gateway_port))
    for step in (["db", "upgrade"], ["deploy", "processes/"], ["demo"]):
        done = subprocess.run([str(BIN / "lincah"), *step], cwd=PROJECT_ROOT, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    run = subprocess.Popen(["sh", "deploy/run_demo.sh"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _call("GET", f"{base}/api/v1/services")[0] == 200, 120, "the server")
        fisher = _token(base, "nelayan")
        status, applied = _call("POST", f"{base}/api/v1/applications", {
            "service": "fishery_business_permit", "data": FISHER}, fisher)
        assert status == 201, applied

        def verified():
            return _call("GET", f"{base}/api/v1/applications/{applied['id']}", token=fisher)[1]["data"].get(
                "nik_verified")

        assert _until(verified, 60, "the NIK worker") is True
        officer = _token(base, "petugas.sinjai")
        (task,) = _call("GET", f"{base}/api/v1/applications/{applied['id']}", token=officer)[1]["tasks"]
        status, answer = _call("POST", f"{base}/api/v1/tasks/{task['id']}/complete",
                               {"data": {"note": "Sesuai"}, "decision": "Setujui"}, officer)
        assert status == 200, answer

        def billed():
            return _call("GET", f"{base}/api/v1/applications/{applied['id']}", token=fisher)[1]["data"].get(
                "virtual_account")

        account = _until(billed, 60, "the bill from the fake bank")
        status, bills = _call("GET", f"http://127.0.0.1:{gateway_port}/bills/BILL-000001")
        assert (status, bills["virtual_account"], bills["amount"]) == (200, account, 300000)
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=90)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    output = run.stdout.read().decode("utf-8", "replace")
    assert "fake registry on 127.0.0.1" in output, output
    for listening in (port, registry_port, gateway_port):  # nothing the script started is left behind
        _until(lambda listening=listening: not _open(listening), 60, f"port {listening} to close")


def _open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
