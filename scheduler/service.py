"""APScheduler wiring: the jobs on intervals, inside the web server or as a process of its own.

``lincah serve`` starts a :class:`SchedulerService` in the background so a single command shows live SLA states;
``lincah scheduler`` runs one in the foreground. Production can run several of either: the jobs claim their rows
(``scheduler.jobs``), so running them twice at the same moment never does anything twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from engine.context import EngineContext
from engine.integration.connector_guard import ConnectorSettings
from engine.messaging.channels import Channels
from engine.messaging.mail import RetryPolicy
from engine.observability import request_id_bound
from engine.storage import heartbeat
from engine.storage.db import over_time_limit, transaction, unavailable

from . import jobs
from .outage import OutageLog

log = logging.getLogger("lincah.scheduler")


@dataclass(frozen=True)
class Intervals:
    """Seconds between runs of each job."""

    timers: float = 15
    sla: float = 60
    notifications: float = 30
    uploads: float = 3600
    connectors: float = 5
    unstaffed: float = 300  # steps nobody can work (jobs.notify_unstaffed): it reads every recent open step


class SchedulerService:
    """Runs the jobs against one database; ``start``/``stop`` for the background, ``run_forever`` standalone."""

    def __init__(self, ctx: EngineContext, session_factory, *, mailer=None, intervals: Intervals = Intervals(),
                 retry: RetryPolicy = RetryPolicy(), connectors: ConnectorSettings | None = None):
        self.ctx = ctx
        self.connectors = connectors or ConnectorSettings()  # no host allowed: every request refused
        self.factory = session_factory
        self.mailer = mailer
        self.intervals = intervals
        self.retry = retry
        self._scheduler = None
        self._lock = threading.Lock()
        self.outage = OutageLog(log)
        # Names this process's heartbeat rows (engine/storage/heartbeat.py): which host, which process, which start.
        self.scheduler_id = f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @classmethod
    def from_settings(cls, ctx: EngineContext, session_factory, intervals: Intervals = Intervals()
                      ) -> SchedulerService:
        """E-mail from ``LINCAH_SMTP_*``, SMS and WhatsApp from ``LINCAH_*_GATEWAY_*`` (``engine.messaging.channels``);
        with none of them notifications stay in the app. The HTTP connector from ``LINCAH_CONNECTOR_*``
        (``engine.integration.connector_guard``), whose secrets also hold the gateways' keys."""
        connectors = ConnectorSettings.from_env(ctx.settings.connector_environment())
        channels = Channels.from_settings(ctx.settings, connectors.secrets)
        return cls(ctx, session_factory, mailer=channels if channels.enabled else None, intervals=intervals,
                   connectors=connectors)

    # --- the jobs --------------------------------------------------------------------------------------------

    def fire_timers(self):
        return jobs.fire_timers(self.factory, self.ctx)

    def advance_sla(self):
        return jobs.advance_sla(self.factory, self.ctx)

    def send_notifications(self):
        return jobs.send_notifications(self.factory, self.ctx, self.mailer, policy=self.retry)

    def clean_uploads(self):
        # Drafts first: an expired draft's documents are then cleaned up like any unattached upload.
        return {"drafts": jobs.expire_drafts(self.factory, self.ctx), **jobs.clean_uploads(self.factory, self.ctx)}

    def run_connectors(self):
        return jobs.run_connectors(self.factory, self.ctx, self.connectors)

    def notify_unstaffed(self):
        # Steps that waited their time go to the supervising office first; the administrators hear of the rest.
        moved = jobs.hand_over_unstaffed(self.factory, self.ctx)
        if moved:
            log.info("%s step(s) nobody could work handed to the supervising office", moved)
        return jobs.notify_unstaffed(self.factory, self.ctx)

    def run_once(self) -> dict:
        """Each job once, in order (timers can open steps whose clocks the SLA job then reads)."""
        results = {}
        for name in ("timers", "sla", "unstaffed", "notifications", "uploads", "connectors"):
            with request_id_bound(f"{name}-{uuid.uuid4().hex[:12]}"):
                results[name] = self._jobs()[name]()
            self.beat(name)
        return results

    def beat(self, name: str) -> None:
        """Record in the database that job ``name`` finished a run here (``/api/v1/health`` reads it)."""
        with transaction(self.factory) as session:
            heartbeat.beat(session, self.scheduler_id, name, asdict(self.intervals)[name], self.ctx.now())

    def _jobs(self) -> dict:
        return {"timers": self.fire_timers, "sla": self.advance_sla, "notifications": self.send_notifications,
                "uploads": self.clean_uploads, "connectors": self.run_connectors, "unstaffed": self.notify_unstaffed}

    # --- running on intervals ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def start(self) -> None:
        """Start in background threads; each job runs at once, then on its interval."""
        with self._lock:
            if self.running:
                return
            self._scheduler = self._build(BackgroundScheduler)
            self._scheduler.start()
            log.info("scheduler started (timers every %ss, SLA every %ss, e-mail every %ss)",
                     self.intervals.timers, self.intervals.sla, self.intervals.notifications)

    def run_forever(self) -> None:
        """Run in the foreground until interrupted (Ctrl-C or SIGTERM)."""
        with self._lock:
            self._scheduler = self._build(BlockingScheduler)
        log.info("scheduler running in the foreground")
        try:
            self._scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            log.info("scheduler stopping")
        finally:
            self.stop(wait=True)

    def stop(self, wait: bool = True) -> None:
        with self._lock:
            if self._scheduler is not None and self._scheduler.running:
                self._scheduler.shutdown(wait=wait)
            self._scheduler = None

    def _build(self, kind):
        scheduler = kind(executors={"default": ThreadPoolExecutor(3)},
                         job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        for name, seconds in (("timers", self.intervals.timers), ("sla", self.intervals.sla),
                              ("notifications", self.intervals.notifications), ("uploads", self.intervals.uploads),
                              ("connectors", self.intervals.connectors), ("unstaffed", self.intervals.unstaffed)):
            scheduler.add_job(self._guarded, "interval", args=[name], seconds=seconds, id=name, name=name,
                              next_run_time=datetime.now(UTC))  # APScheduler's own wall clock
        return scheduler

    def _guarded(self, name: str):
        # One id per run: its log lines and the audit events it writes can be found together.
        with request_id_bound(f"{name}-{uuid.uuid4().hex[:12]}"):
            return self._run_guarded(name)

    def _run_guarded(self, name: str):
        try:
            result = self._jobs()[name]()
            self.beat(name)
        except Exception as exc:  # noqa: BLE001 - a failing run is logged and retried on the next interval
            if unavailable(exc) and not over_time_limit(exc):
                self.outage.failed(name, exc)  # one line per outage, not one per run
            else:
                log.exception("scheduler job %s failed", name)
            return None
        if self._used_database(name):
            self.outage.succeeded(name)
        log.debug("scheduler job %s: %s", name, result)
        return result

    def _used_database(self, name: str) -> bool:
        """Whether a run that finished says the database answers: without a mailer the e-mail job does nothing."""
        return name != "notifications" or self.mailer is not None
