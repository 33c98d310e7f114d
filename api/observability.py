"""Request ids and ``GET /metrics`` for the operators (engine/observability.py has the logging and the why).

**Request id.** Every request runs under one: the client's ``X-Request-ID`` when it is sane (letters, digits and
``._:-``, at most 128 — so a proxy's or a caller's id ties their log to ours), else a new one. It is on every log
line of the request, in the data of every audit event it writes, and returned as ``X-Request-ID``.

**Metrics** in Prometheus's text format: requests by route, method and status (``lincah_http_requests_total``), the
steps' latency (``lincah_step_seconds``), and, read from the database when scraped (cached ``CACHE_SECONDS``), open
tasks by SLA state, external tasks waiting for a worker, e-mail waiting to be sent and the seconds since a scheduler
last ran each job. Under gunicorn with several workers each worker counts its own requests: set
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's setting, an empty folder emptied at every start) and every scrape
adds up all workers' counts (README, "Metrics"); without it, a scrape shows the worker that answered it.

**Who may read them.** With ``LINCAH_METRICS_TOKEN`` set, a request carrying ``Authorization: Bearer <token>``;
without it, only a request from this machine (loopback) that no proxy forwarded (no ``X-Forwarded-For``): the
counts say how busy which office is, which is not for the internet.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from engine.observability import bind_request_id, new_request_id, reset_request_id, sane_request_id
from engine.reporting import operations
from engine.storage.db import transaction

log = logging.getLogger("lincah.http")

HEADER = "X-Request-ID"
CACHE_SECONDS = 5.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter("lincah_http_requests", "HTTP requests answered, by route (the URL rule), method and status.",
                   ["route", "method", "status"])


def register(app: Flask) -> None:
    """Bind a request id around every request, count the answers, serve ``/metrics``."""
    app.before_request(_bind)
    app.after_request(_answered)
    app.teardown_request(_unbind)
    app.add_url_rule("/metrics", "metrics", _metrics)
    app.extensions["lincah"]["operations"] = _CachedOperations(app.extensions["lincah"])


def _bind() -> None:
    request_id = sane_request_id(request.headers.get(HEADER)) or new_request_id()
    g.lincah_request = (request_id, bind_request_id(request_id), time.perf_counter())


def _answered(response: Response) -> Response:
    bound = g.get("lincah_request")
    if bound is None:  # answered before the binding ran (another before_request): nothing to tie it to
        return response
    response.headers[HEADER] = bound[0]
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    count_answer(route, request.method, request.path, response.status_code, bound[2])
    return response


def count_answer(route: str, method: str, path: str, status: int, started: float) -> None:
    """The request counter and the log line of one answer (``started``: its ``time.perf_counter()``)."""
    REQUESTS.labels(route, method, str(status)).inc()
    log.info("%s %s %s %.0f ms", method, path, status, (time.perf_counter() - started) * 1000)


def _unbind(_exc=None) -> None:
    bound = g.pop("lincah_request", None)
    if bound is not None:
        try:
            reset_request_id(bound[1])
        except ValueError:  # bound in another context (a streamed answer): it ends with that context
            pass


def _metrics():
    settings = _settings()
    if not _allowed(settings.metrics_token):
        return Response("Metrics are for the monitoring: send Authorization: Bearer <LINCAH_METRICS_TOKEN>, or ask "
                        "from this machine without a proxy.\n", 403, mimetype="text/plain")
    if settings.metrics_multiproc_dir:
        process = CollectorRegistry()
        MultiProcessCollector(process)
    else:
        process = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(_OperationsCollector(_operations()))
    return Response(generate_latest(process) + generate_latest(database), mimetype=CONTENT_TYPE)


def _settings():
    return current_app.extensions["lincah"]["ctx"].settings


def _operations() -> _CachedOperations:
    return current_app.extensions["lincah"]["operations"]


def _allowed(token: str) -> bool:
    if token:
        sent = request.headers.get("Authorization", "")
        return sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].strip().encode(), token.encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class _CachedOperations:
    """The database's figures, read at most once per ``CACHE_SECONDS`` per process."""

    def __init__(self, lincah: dict):
        self.lincah = lincah
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._value: operations.Operations | None = None

    def get(self) -> operations.Operations:
        with self._lock:
            if self._value is None or time.monotonic() - self._read_at > CACHE_SECONDS:
                ctx = self.lincah["ctx"]
                with transaction(self.lincah["session_factory"]) as session:
                    self._value = operations.read(session, ctx.now())
                self._read_at = time.monotonic()
            return self._value


class _OperationsCollector:
    def __init__(self, cached: _CachedOperations):
        self.cached = cached

    def collect(self):
        figures = self.cached.get()
        tasks = GaugeMetricFamily("lincah_open_tasks", "Open steps (ready or claimed) by SLA state.",
                                  labels=["sla_state"])
        for state in sorted(set(figures.open_tasks_by_sla) | {"on_track", "at_risk", "breached"}):
            tasks.add_metric([state], figures.open_tasks_by_sla.get(state, 0))
        yield tasks
        yield GaugeMetricFamily("lincah_external_tasks_open", "External tasks waiting for or held by a worker.",
                                value=figures.external_tasks_open)
        yield GaugeMetricFamily("lincah_mail_outbox_pending", "E-mails waiting to be sent (or retried).",
                                value=figures.mail_pending)
        ages = GaugeMetricFamily("lincah_scheduler_last_run_age_seconds",
                                 "Seconds since any scheduler last finished each job.", labels=["job"])
        for job, age in sorted(figures.scheduler_ages.items()):
            ages.add_metric([job], age)
        yield ages
