"""The inbox (*kotak masuk*): the tasks a person may work, as one indexed SQL query.

A task is in an actor's inbox when it is assigned to them, or when it is not the applicant's own task, lies in one
of their jurisdictions and names one of their candidate groups, or them by name (``person:<username>``, spiff-arena's
lane_owners: engine.casework.lane_owners) (supervisors: any staff task of their offices). The
query reads ``task``, ``task_candidate`` and a few columns of ``instance``; it never loads a workflow, so it costs
the same with ten open tasks or a hundred thousand.

Paging is by keyset: the cursor carries the sort value and id of the last row seen, so page 500 costs what page 1
costs. ``offset`` is accepted too for clients that want page numbers.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

import orjson
from sqlalchemy import Text, and_, cast, false, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.people.access import ALL_JURISDICTIONS, OFFICER, SUPERVISOR, Actor, person_group
from engine.sla import clocks, risk
from engine.storage.models import Instance, Task, TaskCandidate

STATES = ("ready", "claimed", "completed")
SORTS = ("due_at", "created_at", "completed_at")
# An inbox is counted up to this many tasks, and ``total_capped`` says when there are more (as mail clients show
# "1,000+"): history can hold years of an office's work, and a big office's open queue tens of thousands of tasks,
# which an exact count would read on every page (5 ms of PostgreSQL for 16,000 open tasks of one office, 1 ms capped;
# the HTTP bench's inbox beside the completions). Exact open numbers per queue are the dashboard's (``open_tally``).
COUNT_CAP = 1_000
SLA_STATES = ("at_risk", "breached")
MAX_LIMIT = 200
OPEN = (literal_column("'ready'"), literal_column("'claimed'"))  # inline, so the partial inbox index applies
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")  # ':' of person:<username>, institution:<code> is spelt as itself


@dataclass
class InboxQuery:
    service: str | None = None
    state: str | None = None  # None: the open tasks (ready and claimed)
    assignee: str | None = None  # "me" or "none"
    sla: str | None = None
    q: str | None = None
    sort: str | None = None  # None: soonest due first for open tasks, most recently finished first for history
    limit: int = 50
    cursor: str | None = None
    offset: int = 0


@dataclass
class InboxRow:
    task: SimpleNamespace  # the task's columns as attributes (read-only values, not an ORM object)
    registration_no: str
    applicant: str
    applicant_name: str


@dataclass
class InboxPage:
    items: list[InboxRow] = field(default_factory=list)
    total: int = 0
    next_cursor: str | None = None
    total_capped: bool = False


def _covered(actor: Actor) -> list:
    """SQL conditions on the task's office: none when the actor covers every office."""
    if ALL_JURISDICTIONS in actor.jurisdictions:
        return []
    return [Task.jurisdiction.in_(sorted(actor.jurisdictions)) if actor.jurisdictions else false()]


def _in_groups(groups: list[str]):
    """SQL condition: the task names one of ``groups`` as candidate group.

    Plain names (the usual ``verifier``, ``regency_fisheries``) are matched in the task's own JSON list, which the
    inbox index carries: no other table is touched. Names with other characters, whose JSON spelling could vary,
    are looked up in ``task_candidate`` one open task at a time (OFFSET 0 keeps PostgreSQL from turning that into
    a join over the group's whole history, which grows without bound while the open tasks of an office stay few).
    """
    if all(_PLAIN_NAME.match(group) for group in groups):
        listed = cast(Task.candidate_groups, Text)
        return or_(*(listed.like(_json_token_pattern(group), escape="\\") for group in groups))
    return (select(TaskCandidate.task_id)
            .where(TaskCandidate.task_id == Task.id, TaskCandidate.group_name.in_(groups)).offset(0).exists())


def _json_token_pattern(name: str) -> str:
    token = orjson.dumps(name).decode()
    return "%" + token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _branches(actor: Actor, filters: list, *columns) -> list:
    """One SELECT of ``columns`` per reason a task is in the inbox (mirrors ``access.may_work``).

    Each branch is a plain AND of indexed conditions; an OR across them would make the database scan the whole
    task table. The branches never overlap (the group branch leaves out the actor's own tasks), so they are
    combined with UNION ALL, without a de-duplication pass.
    """
    branches = [select(*columns).where(Task.assignee == actor.username, *filters)]
    if not actor.is_staff:
        return branches
    not_mine = or_(Task.assignee.is_(None), Task.assignee != actor.username)
    staff_task = [Task.for_applicant.is_(False), not_mine, *_covered(actor), *filters]
    if SUPERVISOR in actor.roles:
        branches.append(select(*columns).where(*staff_task))
    elif OFFICER in actor.roles:  # their groups' steps, and the steps a process gave them by name (lane_owners)
        groups = sorted(actor.groups | {person_group(actor.username)})
        branches.append(select(*columns).where(_in_groups(groups), *staff_task))
    return branches


def _check(query: InboxQuery) -> None:
    problems = {}
    if query.state is not None and query.state not in STATES:
        problems["state"] = f"Use one of: {', '.join(STATES)}."
    if query.assignee is not None and query.assignee not in ("me", "none"):
        problems["assignee"] = "Use 'me' or 'none'."
    if query.sla is not None and query.sla not in SLA_STATES:
        problems["sla"] = f"Use one of: {', '.join(SLA_STATES)}."
    if query.sort is not None and query.sort not in SORTS:
        problems["sort"] = f"Use one of: {', '.join(SORTS)}."
    if not 1 <= query.limit <= MAX_LIMIT:
        problems["limit"] = f"Use 1 to {MAX_LIMIT}."
    if query.offset < 0:
        problems["offset"] = "Use 0 or more."
    if problems:
        raise InvalidInput("The inbox filter is not valid: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                           problems)


def encode_cursor(sort_value: datetime | None, task_id: str) -> str:
    raw = orjson.dumps([sort_value.isoformat() if sort_value else None, task_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, task_id = orjson.loads(raw)
        if not isinstance(task_id, str) or not (value is None or isinstance(value, str)):
            raise ValueError
        return (datetime.fromisoformat(value) if value else None), task_id
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidInput("The cursor is not valid; use the next_cursor of the previous page.",
                           {"cursor": "Unknown cursor."}) from exc


def _after(key, id_column, cursor: str, descending: bool):
    """Rows after the cursor in ``key ASC NULLS LAST, id ASC`` or ``key DESC NULLS FIRST, id DESC`` order.

    Those are the orders a B-tree index gives read forwards or backwards, so each page comes off an index.
    """
    value, task_id = decode_cursor(cursor)
    if descending:
        if value is None:
            return or_(and_(key.is_(None), id_column < task_id), key.is_not(None))
        return or_(key < value, and_(key == value, id_column < task_id))
    if value is None:
        return and_(key.is_(None), id_column > task_id)
    return or_(key > value, and_(key == value, id_column > task_id), key.is_(None))


def _order(key, id_column, descending: bool) -> tuple:
    if descending:
        return key.desc().nulls_first(), id_column.desc()
    return key.asc().nulls_last(), id_column.asc()


def _sort_of(query: InboxQuery) -> str:
    if query.sort:
        return query.sort
    return "completed_at" if query.state == "completed" else "due_at"


def _like_pattern(text: str) -> str:
    """``q`` as a LIKE pattern: its own ``%`` and ``_`` are matched literally, not as wildcards."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(actor: Actor, query: InboxQuery, now: datetime) -> list:
    filters = [Task.state.in_(OPEN) if query.state is None else Task.state == query.state]
    if query.service:
        filters.append(Task.service_key == query.service)
    if query.assignee == "me":
        filters.append(Task.assignee == actor.username)
    elif query.assignee == "none":
        filters.append(Task.assignee.is_(None))
    if query.sla == clocks.AT_RISK:  # read off the clock: the SLA pass stores no at-risk mark (engine.sla.risk)
        filters.append(risk.task_at_risk(now))
    elif query.sla:
        filters.append(Task.sla_state == query.sla)
    if query.q and query.q.strip():
        filters.append(Task.search_text.like(_like_pattern(query.q), escape="\\"))
    return filters


def search(session: Session, actor: Actor, query: InboxQuery, *, now: datetime | None = None) -> InboxPage:
    """One page of the actor's inbox and the number of tasks in it; ``sla=at_risk`` as at ``now`` (the engine's
    clock, ``ctx.now()``; the system clock when not given).

    Each branch of the inbox (``_branches``) is read in index order and stops after the page; the database merges
    the branches, so a page costs the same at the top of a 100,000-task office as at its end. The count is a
    separate index-only scan, stopped after ``COUNT_CAP``. Only the page's rows are then read in full.
    """
    _check(query)
    sort = _sort_of(query)
    descending = sort == "completed_at"
    sort_column = getattr(Task, sort)
    branches = _branches(actor, _filters(actor, query, now or datetime.now(UTC)), Task.id.label("id"),
                         sort_column.label("sort_key"))
    wanted = query.limit + 1 + (0 if query.cursor else query.offset)
    limited = []
    for branch in branches:
        if query.cursor:
            branch = branch.where(_after(sort_column, Task.id, query.cursor, descending))
        inner = branch.order_by(*_order(sort_column, Task.id, descending)).limit(wanted).subquery()
        limited.append(select(inner.c.id, inner.c.sort_key))
    page = (union_all(*limited) if len(limited) > 1 else limited[0]).subquery("page")
    page_ids = select(page.c.id, page.c.sort_key).order_by(*_order(page.c.sort_key, page.c.id, descending))
    if query.offset and not query.cursor:
        page_ids = page_ids.offset(query.offset)
    chosen = page_ids.limit(query.limit + 1).subquery("chosen")
    # Only the page's rows are read in full, in the same statement, as plain values: a page is only shown, and
    # ORM objects (or SQLAlchemy rows, attribute by attribute) cost more than the query.
    found = session.connection().execute(
        select(*_TASK_COLUMNS, Instance.registration_no, Instance.applicant, Instance.applicant_name)
        .select_from(chosen.join(Task, Task.id == chosen.c.id).join(Instance, Instance.id == Task.instance_id))
        .order_by(*_order(chosen.c.sort_key, chosen.c.id, descending))).all()
    total, capped = _count(session, branches, COUNT_CAP)
    items = []
    for row in found[:query.limit]:
        values = tuple(row)
        task = SimpleNamespace(**dict(zip(_TASK_KEYS, values, strict=False)))  # the instance's three follow
        items.append(InboxRow(task, *values[len(_TASK_KEYS):]))
    next_cursor = None
    if len(found) > query.limit and items:
        last = items[-1].task
        next_cursor = encode_cursor(getattr(last, sort), last.id)
    return InboxPage(items, total, next_cursor, capped)


_TASK_COLUMNS = tuple(Task.__table__.columns)
_TASK_KEYS = tuple(column.key for column in _TASK_COLUMNS)


def _count(session: Session, branches: list, cap: int) -> tuple[int, bool]:
    """The number of tasks in the inbox, at most ``cap``, and whether there are more."""
    ids = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery("inbox")
    found = session.scalar(select(func.count()).select_from(select(ids.c.id).limit(cap + 1).subquery())) or 0
    return min(found, cap), found > cap


@dataclass(frozen=True)
class TallyRow:
    assignee: str | None
    sla_state: str | None
    service_key: str
    count: int


def open_tally(session: Session, actor: Actor, now: datetime) -> list[TallyRow]:
    """The open tasks of the actor's inbox counted per (assignee, SLA state at ``now``, service), in one statement.

    The same branches and filters as ``search`` with no filter given, so any queue's size — the actor's own, the
    unassigned, at risk, breached, one service — is a sum of these rows, equal to that queue's ``search`` total.
    """
    columns = (Task.assignee.label("assignee"), risk.task_state(now).label("sla_state"),
               Task.service_key.label("service_key"))
    branches = _branches(actor, _filters(actor, InboxQuery(), now), *columns)
    rows = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery("inbox")
    grouped = (select(rows.c.assignee, rows.c.sla_state, rows.c.service_key, func.count())
               .group_by(rows.c.assignee, rows.c.sla_state, rows.c.service_key))
    return [TallyRow(*row) for row in session.execute(grouped)]
