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
import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

import orjson
from sqlalchemy import Integer, Text, and_, bindparam, cast, false, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.people.access import ALL_JURISDICTIONS, OFFICER, SUPERVISOR, Actor, person_group
from engine.sla import clocks, risk
from engine.storage import sql
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


@dataclass(frozen=True)
class _Shape:
    """What decides the SQL of an inbox's statements: everything about the actor and the filters but the values
    bound into them. Actors of one office and group with the same filters share one shape, so the statements are
    built and compiled once per shape (``_statements``) and each request only binds its values (``_values``).
    Building them anew cost ~2 ms of CPU per page, more than the database's own work."""

    reach: str  # OWN_TASKS, OFFICE_TASKS (supervisor) or GROUP_TASKS (officer): the branches besides their own tasks
    offices: int | None  # how many offices the actor covers; None: every office
    groups: int  # GROUP_TASKS: how many candidate groups are matched (the person's own group included)
    plain_groups: bool  # those names are matched in the task's JSON list (else looked up in task_candidate)
    state: bool  # a state was asked for (else the open tasks)
    service: bool
    assignee: str | None
    sla: str | None
    q: bool
    sort: str
    cursor: str | None  # None (first page), AFTER_VALUE or AFTER_NULL (the last row seen had no sort value)
    offset: bool


OWN_TASKS, OFFICE_TASKS, GROUP_TASKS = "own", "office", "groups"
AFTER_VALUE, AFTER_NULL = "value", "null"


def _reach(actor: Actor) -> str:
    if not actor.is_staff:
        return OWN_TASKS
    if SUPERVISOR in actor.roles:
        return OFFICE_TASKS
    return GROUP_TASKS if OFFICER in actor.roles else OWN_TASKS


def _groups(actor: Actor) -> list[str]:
    """An officer's candidate groups, and the group of steps a process gave them by name (lane_owners)."""
    return sorted(actor.groups | {person_group(actor.username)})


def _shape(actor: Actor, query: InboxQuery, cursor_value=None) -> _Shape:
    reach = _reach(actor)
    groups = _groups(actor) if reach == GROUP_TASKS else []
    cursor = None
    if query.cursor:
        cursor = AFTER_NULL if cursor_value is None else AFTER_VALUE
    return _Shape(reach, None if ALL_JURISDICTIONS in actor.jurisdictions else len(actor.jurisdictions),
                  len(groups), all(_PLAIN_NAME.match(group) for group in groups), query.state is not None,
                  bool(query.service), query.assignee, query.sla, bool(query.q and query.q.strip()),
                  _sort_of(query), cursor, bool(query.offset and not query.cursor))


def _values(actor: Actor, query: InboxQuery, shape: _Shape, now: datetime, cursor: tuple | None) -> dict:
    """The values a request binds into its shape's statements (the names ``_branches`` and ``_filters`` give)."""
    values = {"b_username": actor.username, "b_now": now, "b_cap": COUNT_CAP + 1}
    if shape.offices:
        values.update((f"b_office{n}", office) for n, office in enumerate(sorted(actor.jurisdictions)))
    if shape.reach == GROUP_TASKS:
        for n, group in enumerate(_groups(actor)):
            values[f"b_group{n}"] = _json_token_pattern(group) if shape.plain_groups else group
    if shape.state:
        values["b_state"] = query.state
    if shape.service:
        values["b_service"] = query.service
    if shape.q:
        values["b_q"] = _like_pattern(query.q)
    if cursor is not None:
        values["b_after_value"], values["b_after_id"] = cursor
    values["b_wanted"] = query.limit + 1 + (query.offset if shape.offset else 0)
    values["b_limit"] = query.limit + 1
    values["b_offset"] = query.offset
    return values


def _covered(shape: _Shape) -> list:
    """SQL conditions on the task's office: none when the actor covers every office."""
    if shape.offices is None:
        return []
    if not shape.offices:
        return [false()]
    return [Task.jurisdiction.in_([bindparam(f"b_office{n}") for n in range(shape.offices)])]


def _in_groups(shape: _Shape):
    """SQL condition: the task names one of the actor's groups as candidate group.

    Plain names (the usual ``verifier``, ``regency_fisheries``) are matched in the task's own JSON list, which the
    inbox index carries: no other table is touched. Names with other characters, whose JSON spelling could vary,
    are looked up in ``task_candidate`` one open task at a time (OFFSET 0 keeps PostgreSQL from turning that into
    a join over the group's whole history, which grows without bound while the open tasks of an office stay few).
    """
    groups = [bindparam(f"b_group{n}") for n in range(shape.groups)]
    if shape.plain_groups:
        listed = cast(Task.candidate_groups, Text)
        return or_(*(listed.like(group, escape="\\") for group in groups))
    return (select(TaskCandidate.task_id)
            .where(TaskCandidate.task_id == Task.id, TaskCandidate.group_name.in_(groups)).offset(0).exists())


def _json_token_pattern(name: str) -> str:
    token = orjson.dumps(name).decode()
    return "%" + token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _branches(shape: _Shape, filters: list, *columns) -> list:
    """One SELECT of ``columns`` per reason a task is in the inbox (mirrors ``access.may_work``).

    Each branch is a plain AND of indexed conditions; an OR across them would make the database scan the whole
    task table. The branches never overlap (the group branch leaves out the actor's own tasks), so they are
    combined with UNION ALL, without a de-duplication pass.
    """
    username = bindparam("b_username")
    branches = [select(*columns).where(Task.assignee == username, *filters)]
    if shape.reach == OWN_TASKS:
        return branches
    not_mine = or_(Task.assignee.is_(None), Task.assignee != username)
    staff_task = [Task.for_applicant.is_(False), not_mine, *_covered(shape), *filters]
    if shape.reach == OFFICE_TASKS:
        branches.append(select(*columns).where(*staff_task))
    else:  # their groups' steps, and the steps a process gave them by name (lane_owners)
        branches.append(select(*columns).where(_in_groups(shape), *staff_task))
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


def _after(key, id_column, shape: _Shape, descending: bool):
    """Rows after the cursor in ``key ASC NULLS LAST, id ASC`` or ``key DESC NULLS FIRST, id DESC`` order.

    Those are the orders a B-tree index gives read forwards or backwards, so each page comes off an index.
    """
    value, task_id = bindparam("b_after_value"), bindparam("b_after_id")
    if descending:
        if shape.cursor == AFTER_NULL:
            return or_(and_(key.is_(None), id_column < task_id), key.is_not(None))
        return or_(key < value, and_(key == value, id_column < task_id))
    if shape.cursor == AFTER_NULL:
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


def _filters(shape: _Shape) -> list:
    filters = [Task.state == bindparam("b_state") if shape.state else Task.state.in_(OPEN)]
    if shape.service:
        filters.append(Task.service_key == bindparam("b_service"))
    if shape.assignee == "me":
        filters.append(Task.assignee == bindparam("b_username"))
    elif shape.assignee == "none":
        filters.append(Task.assignee.is_(None))
    if shape.sla == clocks.AT_RISK:  # read off the clock: the SLA pass stores no at-risk mark (engine.sla.risk)
        filters.append(risk.task_at_risk(bindparam("b_now")))
    elif shape.sla:
        filters.append(Task.sla_state == shape.sla)
    if shape.q:
        filters.append(Task.search_text.like(bindparam("b_q"), escape="\\"))
    return filters


@dataclass(frozen=True)
class _Statements:
    page: sql.Prepared  # the page's rows in full, with the application's three columns
    count: sql.Prepared  # the number of tasks in the inbox, stopped after the cap


@functools.lru_cache(maxsize=256)
def _statements(shape: _Shape) -> _Statements:
    """The inbox's two statements for ``shape``, built and compiled once.

    Each branch of the inbox (``_branches``) is read in index order and stops after the page; the database merges
    the branches, so a page costs the same at the top of a 100,000-task office as at its end. The count is a
    separate index-only scan, stopped after the cap. Only the page's rows are then read in full.
    """
    descending = shape.sort == "completed_at"
    sort_column = getattr(Task, shape.sort)
    branches = _branches(shape, _filters(shape), Task.id.label("id"), sort_column.label("sort_key"))
    limited = []
    for branch in branches:
        if shape.cursor:
            branch = branch.where(_after(sort_column, Task.id, shape, descending))
        inner = branch.order_by(*_order(sort_column, Task.id, descending)).limit(_integer("b_wanted")).subquery()
        limited.append(select(inner.c.id, inner.c.sort_key))
    page = _union(limited).subquery("page")
    page_ids = select(page.c.id, page.c.sort_key).order_by(*_order(page.c.sort_key, page.c.id, descending))
    if shape.offset:
        page_ids = page_ids.offset(_integer("b_offset"))
    chosen = page_ids.limit(_integer("b_limit")).subquery("chosen")
    rows = (select(*_TASK_COLUMNS, Instance.registration_no, Instance.applicant, Instance.applicant_name)
            .select_from(chosen.join(Task, Task.id == chosen.c.id).join(Instance, Instance.id == Task.instance_id))
            .order_by(*_order(chosen.c.sort_key, chosen.c.id, descending)))
    ids = _union(branches).subquery("inbox")
    count = select(func.count()).select_from(select(ids.c.id).limit(_integer("b_cap")).subquery())
    return _Statements(sql.Prepared(rows), sql.Prepared(count))


def _union(selects: list):
    return union_all(*selects) if len(selects) > 1 else selects[0]


def _integer(name: str):
    return bindparam(name, type_=Integer)


def search(session: Session, actor: Actor, query: InboxQuery, *, now: datetime | None = None) -> InboxPage:
    """One page of the actor's inbox and the number of tasks in it (counted up to ``COUNT_CAP``); ``sla=at_risk``
    as at ``now`` (the engine's clock, ``ctx.now()``; the system clock when not given)."""
    _check(query)
    cursor = decode_cursor(query.cursor) if query.cursor else None
    shape = _shape(actor, query, cursor[0] if cursor else None)
    statements = _statements(shape)
    values = _values(actor, query, shape, now or datetime.now(UTC), cursor)
    # Plain values, not ORM objects or SQLAlchemy rows: a page is only shown, and objects cost more than the query.
    found, counted = sql.read_together(session, (statements.page, values), (statements.count, values))
    counted = counted[0][0] or 0
    items = []
    for row in found[:query.limit]:
        task = SimpleNamespace(**dict(zip(_TASK_KEYS, row, strict=False)))  # the instance's three follow
        items.append(InboxRow(task, *row[len(_TASK_KEYS):]))
    next_cursor = None
    if len(found) > query.limit and items:
        last = items[-1].task
        next_cursor = encode_cursor(getattr(last, shape.sort), last.id)
    return InboxPage(items, min(counted, COUNT_CAP), next_cursor, counted > COUNT_CAP)


_TASK_COLUMNS = tuple(Task.__table__.columns)
_TASK_KEYS = tuple(column.key for column in _TASK_COLUMNS)


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
    shape = _shape(actor, InboxQuery())
    columns = (Task.assignee.label("assignee"), risk.task_state(bindparam("b_now")).label("sla_state"),
               Task.service_key.label("service_key"))
    rows = _union(_branches(shape, _filters(shape), *columns)).subquery("inbox")
    grouped = (select(rows.c.assignee, rows.c.sla_state, rows.c.service_key, func.count())
               .group_by(rows.c.assignee, rows.c.sla_state, rows.c.service_key))
    return [TallyRow(*row) for row in session.execute(grouped, _values(actor, InboxQuery(), shape, now, None))]
