"""The periodic jobs: fire due BPMN timers, advance SLA clocks, deliver e-mail, run the HTTP connector.

Each job may run in any number of scheduler processes at once against PostgreSQL: work is claimed with
``FOR NO KEY UPDATE SKIP LOCKED`` (``engine.storage.locks``: an application whose timer is due, a batch of overdue
steps,
a batch of e-mails), so two processes never take the same row, never wait for each other or for an officer, and
cannot deadlock. On SQLite every transaction starts with ``BEGIN IMMEDIATE``: one writer at a time, which gives the
same guarantee.

Time is ``ctx.clock``: tests move a frozen clock and call the jobs directly; after downtime the first run finds
everything that fell due meanwhile (``next_timer_at`` in the past, overdue deadlines) and handles it once.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from engine import cycle_collector
from engine.casework import drafts, escalation, handover, tasks
from engine.casework.escalation import PassResult
from engine.context import EngineContext
from engine.documents import upload_cleanup
from engine.errors import ProcessError
from engine.integration import http_connector
from engine.integration.connector_guard import ConnectorSettings
from engine.messaging import mail, unstaffed
from engine.storage import locks
from engine.storage.db import over_time_limit, transaction, unavailable
from engine.storage.models import Instance, Task

log = logging.getLogger("lincah.scheduler")

SCHEDULER_ACTOR = "scheduler"
# A cycle timer that was due many times while the server was down fires each missed occurrence once; this bounds
# the catch-up of one instance in one run (the rest follows in the next run).
MAX_CATCH_UP = 100


@dataclass
class TimerReport:
    instances: int = 0
    firings: int = 0
    failed: int = 0
    busy: int = 0  # held by a completion in progress: retried on the next run


# Applications claimed per transaction by the timer job: one BEGIN, claim and COMMIT serve this many firings, while
# an officer who opens one of them meanwhile waits at most for this many firings (each ~10-50 ms).
TIMER_BATCH = 20


def _due_instances(session, ctx: EngineContext, skip: set[int], count: int) -> list[int]:
    """Up to ``count`` applications whose timer is due, earliest first, their rows locked (rows held elsewhere are
    skipped)."""
    query = (select(Instance.id).where(Instance.status == "running", Instance.next_timer_at < ctx.now())
             .order_by(Instance.next_timer_at, Instance.id).limit(count))
    if skip:
        query = query.where(Instance.id.not_in(sorted(skip)))
    return list(session.scalars(locks.skip_locked(query)))


def fire_timers(factory, ctx: EngineContext, *, limit: int = 500, batch: int = TIMER_BATCH) -> TimerReport:
    """Fire the due timers of up to ``limit`` instances, loading only due ones, ``batch`` instances per transaction.

    The claimed application rows and each one's open task rows stay locked (PostgreSQL) for the transaction, so
    another scheduler skips them and a timer fires exactly once; when the transaction commits, ``next_timer_at``
    has moved on. Each application fires inside a savepoint of its own: one that fails is rolled back alone (and
    tried again on the next run) while the others' firings commit. An application an officer is completing at that
    moment is left for the next run (``busy``). A database that does not answer stops the run with its error: every
    application would fail the same way, and the batch's firings roll back to be done by the next run.
    """
    report = TimerReport()
    seen: set[int] = set()
    one_writer = _one_writer(factory)
    while (handled := report.instances + report.failed + report.busy) < limit:
        with transaction(factory) as session:
            claimed = _due_instances(session, ctx, seen, min(batch, limit - handled))
            if not claimed:
                break
            seen.update(claimed)
            # One query loads the batch's rows (state included) for the firings' session.get; held here, as the
            # session holds them only weakly.
            loaded = session.scalars(select(Instance).where(Instance.id.in_(claimed))).all()
            busy = set() if one_writer else _held_elsewhere(session, claimed)
            report.busy += len(busy)
            for instance_id in claimed:
                if instance_id not in busy:
                    _fire_one(session, ctx, instance_id, report)
            del loaded
    return report


def _held_elsewhere(session, claimed: list[int]) -> set[int]:
    """Lock the open task rows of the claimed applications in one statement; return the applications with an open
    row someone else holds (an officer completing a step): their timers fire on the next run.

    SQLite needs none of this: its single writer (the transaction began with BEGIN IMMEDIATE) means no completion
    can be in progress.
    """
    open_rows = (Task.instance_id.in_(claimed), Task.state.in_(locks.OPEN_TASK_STATES))
    locked = Counter(session.scalars(locks.skip_locked(select(Task.instance_id).where(*open_rows))))
    counts = session.execute(select(Task.instance_id, func.count()).where(*open_rows).group_by(Task.instance_id))
    return {instance_id for instance_id, count in counts if locked[instance_id] != count}


def _fire_one(session, ctx: EngineContext, instance_id: int, report: TimerReport) -> None:
    """Fire one application's timers in a savepoint: a failure takes back its own writes, not the batch's."""
    try:
        with session.begin_nested():
            # SAVEPOINT now: SQLAlchemy emits it lazily, at the nested transaction's first statement
            # (``sql.connection_of`` sends it too before the first write that bypasses the ORM).
            session.connection()
            firings = _catch_up(session, ctx, instance_id)
    except Exception as exc:  # noqa: BLE001 - one broken instance must not stop the others; it is retried next run
        if unavailable(exc) and not over_time_limit(exc):
            raise  # not this application's fault: the run stops, and the outage is logged once (scheduler.outage)
        report.failed += 1
        log.exception("firing the timers of application %s failed", instance_id)
        # The step wrote some values straight into the loaded objects (``set_committed_value``), which the
        # savepoint's rollback does not take back: forget them, so nothing stale of the failed firing is used later.
        session.expire_all()
    else:
        report.instances += 1
        report.firings += firings


def _catch_up(session, ctx: EngineContext, instance_id: int) -> int:
    firings = 0
    previous = None
    for _ in range(MAX_CATCH_UP):
        tasks.fire_due_timers(session, ctx, instance_id, actor=SCHEDULER_ACTOR)
        firings += 1
        instance = session.get(Instance, instance_id)
        due = instance.next_timer_at
        if instance.status != "running" or due is None or due >= ctx.now() or due == previous:
            break
        previous = due
    return firings


def advance_sla(factory, ctx: EngineContext, *, batch: int = 1000, max_batches: int = 1000) -> PassResult:
    """One SLA pass at one instant: every breach (in batches of ``batch`` steps and files, each batch one
    transaction, until none is left) and the automatic decisions owed. Its cost follows the breaches due, not the
    open steps: turning at risk writes nothing (``engine.sla.risk`` reads it off the clock), and the word about
    steps nobody can work, which looks at every recent open step, is a job of its own (:func:`notify_unstaffed`).
    """
    total = PassResult()
    now = ctx.now()
    for _ in range(max_batches):
        with cycle_collector.paused():
            result = _with_retry(lambda: _in_transaction(factory, escalation.run_pass, ctx, batch=batch, now=now))
        total.add(result)
        if not result.more:
            break
    return total


def notify_unstaffed(factory, ctx: EngineContext) -> int:
    """Tell the administrators, once per step, about recent steps nobody can work (``engine.messaging.unstaffed``);
    return how many such steps there are. On a schedule of its own (``Intervals.unstaffed``), apart from the SLA
    pass: it reads every step opened within ``unstaffed.LOOK_BACK``, because an office loses its last officer
    after its steps opened."""
    return _with_retry(lambda: _in_transaction(factory, unstaffed.notify_administrators, ctx))


def hand_over_unstaffed(factory, ctx: EngineContext) -> int:
    """Move steps that waited ``Settings.unstaffed_handover_hours`` in an office nobody serves to the supervising
    office's queue (``engine.casework.handover``); return how many moved. Part of the ``unstaffed`` job."""
    return _with_retry(lambda: _in_transaction(factory, handover.hand_over, ctx))


def expire_drafts(factory, ctx: EngineContext) -> dict:
    """Tell owners about form drafts that go soon, then delete the expired ones (``engine.casework.drafts``), before
    the upload cleanup: an expired draft's documents become ordinary unattached uploads."""
    warned = _with_retry(lambda: _in_transaction(factory, drafts.warn_expiring, ctx))
    expired = _with_retry(lambda: _in_transaction(factory, drafts.purge_expired, ctx))
    return {"warned": warned, "expired": expired}


def clean_uploads(factory, ctx: EngineContext) -> dict:
    """Forget uploads nobody attached within ``upload_cleanup.KEPT_FOR``, then remove their unused files."""
    forgotten, checksums = _with_retry(lambda: _in_transaction(factory, upload_cleanup.forget_unattached, ctx))
    removed = _in_transaction(factory, upload_cleanup.remove_unused_files, ctx, checksums)
    return {"forgotten": forgotten, "files_removed": removed}


def _in_transaction(factory, work, *args, **kwargs):
    with transaction(factory) as session:
        return work(session, *args, **kwargs)


def _one_writer(factory) -> bool:
    return factory.kw["bind"].dialect.name == "sqlite"


# PostgreSQL's "deadlock detected" and "could not serialize": the transaction was rolled back whole, so it is safe
# to run it again.
_RETRYABLE = {"40P01", "40001"}


def _with_retry(work, attempts: int = 3):
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in _RETRYABLE or attempt == attempts:
                raise
            log.warning("SLA pass rolled back (%s); running it again", exc.orig.sqlstate)


def send_notifications(factory, ctx: EngineContext, mailer, *, batch: int = 50, max_batches: int = 20,
                       policy: mail.RetryPolicy = mail.RetryPolicy()) -> mail.DeliveryReport:
    """Deliver due e-mails: lease a batch, send it outside any transaction, record the outcome."""
    total = mail.DeliveryReport()
    if mailer is None:
        return total
    for _ in range(max_batches):
        with transaction(factory) as session:
            claimed = mail.claim_outgoing(session, ctx.now(), limit=batch, policy=policy)
        if not claimed:
            break
        deliveries = mailer.send(claimed)
        with transaction(factory) as session:
            report = mail.record_deliveries(session, ctx.now(), claimed, deliveries, policy)
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
    return total


@dataclass
class ConnectorReport:
    completed: int = 0
    retrying: int = 0
    incidents: int = 0
    failed: int = 0  # the recording itself failed (logged); the lock runs out and the task is tried again


def run_connectors(factory, ctx: EngineContext, settings: ConnectorSettings, *, batch: int = 20,
                   max_batches: int = 10, parallel: int = 8) -> ConnectorReport:
    """The HTTP connector's tasks (``engine.integration.http_connector``): claim a batch in one transaction, send
    its requests outside any transaction (``parallel`` at a time), record each outcome in a transaction of its own.
    """
    report = ConnectorReport()
    for _ in range(max_batches):
        with transaction(factory) as session:
            requests = http_connector.claim(session, ctx, settings, limit=batch)
        if not requests:
            break
        with ThreadPoolExecutor(max_workers=min(parallel, len(requests)),
                                thread_name_prefix="lincah-connector") as pool:
            outcomes = list(pool.map(lambda request: http_connector.send(request, settings), requests))
        for request, outcome in zip(requests, outcomes, strict=True):
            try:
                with transaction(factory) as session:
                    result = http_connector.record(session, ctx, request, outcome, settings)
            except ProcessError:
                report.incidents += 1  # the step after it failed: the application is flagged, as for a person's
                continue
            except Exception:  # noqa: BLE001 - one task must not stop the others; its lock runs out, it is retried
                report.failed += 1
                log.exception("recording the HTTP connector's answer for external task %s failed", request.task_id)
                continue
            if result == "completed":
                report.completed += 1
            elif result == "retrying":
                report.retrying += 1
            else:
                report.incidents += 1
        if len(requests) < batch:
            break
    return report
