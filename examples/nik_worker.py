"""A reference external-task worker: checks applicants' NIKs with the population registry (*Dukcapil*).

It speaks Camunda 7's external-task REST contract, which Lincah serves under ``/engine-rest``, with nothing but the
Python standard library, so it reads as a recipe for a worker in any language:

1. ``POST /engine-rest/external-task/fetchAndLock`` — long polling: Lincah answers as soon as a task of the topic
   waits (or after ``asyncResponseTimeout`` with an empty list); each task comes locked for ``lockDuration``;
2. ask the registry ``GET {registry}/nik/{nik}``;
3. answer: ``…/{id}/complete`` with ``nik_verified`` and ``registry_name`` (the variables the diagram's
   ``camunda:outputParameter`` entries accept — anything else is refused by name); ``…/{id}/bpmnError`` with
   ``NIK_NOT_FOUND`` when the registry does not know the NIK (the diagram's error boundary event closes the file);
   ``…/{id}/failure`` with a retry count when the registry cannot be reached (at 0 retries Lincah turns the task
   into an incident a supervisor sees and retries).

Run it beside ``lincah serve`` (``lincah fakes`` starts a fake registry and prints this command)::

    python examples/nik_worker.py --lincah http://127.0.0.1:5000/engine-rest --client dukcapil-demo \\
        --secret-file dukcapil-demo.secret --registry http://127.0.0.1:8791

The same worker written with Camunda's own client library is in the README (*Integration API*).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TOPIC = "nik-check"
ERROR_CODE = "NIK_NOT_FOUND"


class Lincah:
    """The few ``/engine-rest`` calls a worker makes, signed in as an API client (HTTP Basic, as Camunda's clients)."""

    def __init__(self, base: str, client: str, secret: str, worker_id: str):
        self.base, self.worker_id = base.rstrip("/"), worker_id
        self.auth = "Basic " + base64.b64encode(f"{client}:{secret}".encode()).decode()

    def _post(self, path: str, body: dict, timeout: float = 60):
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": self.auth})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the URL is configured
            text = response.read()
        return json.loads(text) if text else None

    def fetch_and_lock(self, *, max_tasks: int = 10, lock_ms: int = 30_000, wait_ms: int = 20_000) -> list[dict]:
        return self._post("/external-task/fetchAndLock", {
            "workerId": self.worker_id, "maxTasks": max_tasks, "asyncResponseTimeout": wait_ms,
            "topics": [{"topicName": TOPIC, "lockDuration": lock_ms, "variables": ["nik", "applicant_name"]}],
        }, timeout=wait_ms / 1000 + 30)

    def complete(self, task_id: str, variables: dict) -> None:
        self._post(f"/external-task/{task_id}/complete", {"workerId": self.worker_id, "variables": variables})

    def bpmn_error(self, task_id: str, code: str, message: str) -> None:
        self._post(f"/external-task/{task_id}/bpmnError",
                   {"workerId": self.worker_id, "errorCode": code, "errorMessage": message})

    def failure(self, task_id: str, message: str, details: str, retries: int, retry_ms: int) -> None:
        self._post(f"/external-task/{task_id}/failure", {
            "workerId": self.worker_id, "errorMessage": message, "errorDetails": details, "retries": retries,
            "retryTimeout": retry_ms})


def lookup(registry: str, nik: str, token: str | None = None) -> dict | None:
    """The registry's record of ``nik``, ``None`` when it answers 404; ``OSError`` when it cannot answer."""
    request = urllib.request.Request(f"{registry.rstrip('/')}/nik/{urllib.parse.quote(nik)}",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the URL is configured
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise OSError(f"the registry answered HTTP {exc.code}") from exc


def handle(lincah: Lincah, task: dict, registry: str, token: str | None = None) -> str:
    """Work one task; what was answered: ``complete``, ``bpmnError`` or ``failure``."""
    nik = (task.get("variables", {}).get("nik") or {}).get("value")
    try:
        person = lookup(registry, str(nik), token)
    except OSError as exc:
        retries = 3 if task.get("retries") is None else max(0, task["retries"] - 1)
        lincah.failure(task["id"], "The population registry could not be reached.", str(exc), retries, 60_000)
        return "failure"
    if person is None:
        lincah.bpmn_error(task["id"], ERROR_CODE, f"NIK {nik} is not registered with the population registry.")
        return "bpmnError"
    lincah.complete(task["id"], {"nik_verified": {"value": True, "type": "Boolean"},
                                 "registry_name": {"value": person.get("name", ""), "type": "String"}})
    return "complete"


def run(lincah: Lincah, registry: str, *, token: str | None = None, once: bool = False,
        wait_ms: int = 20_000) -> int:
    """Fetch and work tasks until interrupted (``once``: one fetch); the number of tasks worked."""
    worked = 0
    while True:
        try:
            tasks = lincah.fetch_and_lock(wait_ms=wait_ms)
        except (OSError, urllib.error.URLError) as exc:
            if once:
                raise
            print(f"Lincah cannot be reached ({exc}); trying again in 5 s", file=sys.stderr)
            time.sleep(5)
            continue
        for task in tasks:
            print(f"{task['id']} {task.get('businessKey')}: {handle(lincah, task, registry, token)}")
            worked += 1
        if once:
            return worked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lincah", default="http://127.0.0.1:5000/engine-rest", help="Lincah's /engine-rest URL")
    parser.add_argument("--client", default="dukcapil-demo", help="the API client's name")
    parser.add_argument("--secret-file", help="file holding the client's secret (else $NIK_WORKER_SECRET)")
    parser.add_argument("--registry", default="http://127.0.0.1:8791", help="the population registry's URL")
    parser.add_argument("--registry-token", default=os.environ.get("REGISTRY_TOKEN"))
    parser.add_argument("--worker-id", default=f"nik-worker-{os.getpid()}")
    parser.add_argument("--once", action="store_true", help="fetch once (waiting up to 20 s) and stop")
    args = parser.parse_args(argv)
    if args.secret_file:
        with open(args.secret_file, encoding="utf-8") as handle_:
            secret = handle_.read().strip()
    else:
        secret = os.environ.get("NIK_WORKER_SECRET", "")
    if not secret:
        parser.error("give the client's secret with --secret-file or NIK_WORKER_SECRET")
    try:
        run(Lincah(args.lincah, args.client, secret, args.worker_id), args.registry, token=args.registry_token,
            once=args.once)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
