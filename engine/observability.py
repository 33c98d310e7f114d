"""What the person on call reads: log lines, the request id that ties them to one request, the step timings.

- **Logging** is set up once per process by :func:`configure_logging` (``lincah serve``, ``api/wsgi.py`` under
  gunicorn, ``lincah scheduler``): one handler on the root logger, plain text by default or one JSON object per line
  (``LINCAH_LOG_FORMAT=json``, for a log shipper), ``lincah.*`` at ``LINCAH_LOG_LEVEL`` (INFO by default), Python
  warnings through the same handler. Libraries and tests that never call it keep Python's defaults.
- **Request id**: the web layer binds one per HTTP request (the client's ``X-Request-ID`` when it is sane), the
  scheduler one per job run. It lives in a context variable, so the engine reads it without knowing Flask: every log
  line carries it, and every audit event stores it in its data (``engine.storage.audit``).
- **Step latency**: ``lincah_step_seconds`` (prometheus_client), observed by the step skeleton
  (``engine.casework.step``) around every advance of a workflow; ``GET /metrics`` serves it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from prometheus_client import Counter, Histogram

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("lincah_request_id", default=None)
# A client's own id is kept when it could not break a log line or a header: letters, digits and ._:- up to 128.
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

STEP_SECONDS = Histogram("lincah_step_seconds", "Time one step of an application's workflow took (load, run, save), "
                         "by how it ended.", ["outcome"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
# Whether a step found its application's workflow kept in memory (``engine.workflow.live_workflows``) or restored
# it from the stored text: the hit rate says whether LINCAH_LIVE_WORKFLOWS is sized for the office's traffic.
KEPT_WORKFLOWS = Counter("lincah_kept_workflows", "Steps that found their workflow kept in memory (reused) or "
                         "restored it from the database (restored).", ["result"])
for _result in ("reused", "restored"):  # both series exist from the start, so a rate is never "no data"
    KEPT_WORKFLOWS.labels(_result)


def current_request_id() -> str | None:
    """The id of the request (or scheduler job run) this code runs for; ``None`` outside one."""
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(candidate: str | None) -> str | None:
    """``candidate`` (a client's ``X-Request-ID``) when it is safe to log and echo; ``None`` otherwise."""
    if candidate and _SANE.fullmatch(candidate.strip()):
        return candidate.strip()
    return None


def bind_request_id(value: str) -> contextvars.Token:
    """Make ``value`` the current request id until :func:`reset_request_id` with the returned token."""
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_bound(value: str | None = None) -> Iterator[str]:
    """Run the block under request id ``value`` (a new one when ``None``)."""
    value = value or new_request_id()
    token = bind_request_id(value)
    try:
        yield value
    finally:
        reset_request_id(token)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` ("-" outside a request) so every format can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                "request_id": _request_id.get() if getattr(record, "request_id", "-") == "-" else record.request_id}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(log_format: str = "text", level: str = "INFO") -> dict:
    """The ``dictConfig`` of a Lincah process (what :func:`configure_logging` applies)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LINCAH_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}.")
    if level.upper() not in LOG_LEVELS:
        raise ValueError(f"LINCAH_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,  # loggers made at import time (gunicorn's, ours) keep working
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"text": {"format": TEXT_FORMAT}, "json": {"()": JsonFormatter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                 "formatter": log_format, "filters": ["request_id"]}},
        "loggers": {"lincah": {"level": level.upper()}, "py.warnings": {"level": "WARNING"}},
        "root": {"level": "WARNING", "handlers": ["console"]},
    }


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Set up this process's logging (once, at start): see the module's docstring."""
    logging.config.dictConfig(logging_config(log_format, level))
    logging.captureWarnings(True)
