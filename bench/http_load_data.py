"""Data for ``bench/http_load.py``: a large task history loaded with SQL, and applications cloned for completion.

* ``load_history`` fills ``instance``, ``task`` and ``task_candidate`` with generated SQL (``generate_series``, all in
  the server): ``total`` tasks of which ``open`` are ready or claimed. The open ones belong to running applications
  (each with 0–3 finished steps before its open one) started in the last four weeks, due over the weeks around now;
  the rest are the finished steps of applications of the last two years. 25 offices (the province office and
  the big towns weigh more), 8 candidate groups, 6 services, 5 % of the open steps are applicants' own revisions and
  a fifth of the staff steps are claimed. Secondary indexes are dropped during the load and built again after it,
  as a restore would; ``VACUUM ANALYZE`` then leaves the tables as autovacuum would after such an insert. The
  generated applications carry a placeholder workflow state: the inbox never reads it.
* ``clone_applications`` copies applications that the engine started (rows of ``instance``, its open ``task`` and
  ``task_candidate``) under new ids, task ids and registration numbers: thousands of applications waiting at the same
  step in seconds, each exactly as the engine stored it.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from contextlib import contextmanager

import psycopg

# Office code and weight: the province office and the big towns receive more applications than the regencies.
JURISDICTIONS = {
    "sulsel": 16, "makassar": 8, "gowa": 5, "bone": 5, "maros": 4, "sinjai": 3, "bulukumba": 3, "bantaeng": 3,
    "jeneponto": 3, "takalar": 3, "selayar": 3, "wajo": 3, "soppeng": 3, "barru": 3, "pangkep": 3, "pinrang": 3,
    "sidrap": 3, "enrekang": 3, "luwu": 3, "luwu_utara": 3, "luwu_timur": 3, "tana_toraja": 3, "toraja_utara": 3,
    "parepare": 3, "palopo": 3,
}
# Service key and weight; the two real services plus four that exist here only as retired copies of a definition.
SERVICES = {"research_permit": 25, "fishing_vessel_permit": 20, "building_permit": 20, "business_license": 15,
            "tourism_permit": 10, "health_facility_permit": 10}
SYNTHETIC_SERVICES = ("building_permit", "business_license", "tourism_permit", "health_facility_permit")
# Staff steps: element id, name, candidate group, weight, SLA target in hours (1 to 14 days): with the open steps
# started over the last four weeks, their due dates spread from weeks ago (overdue) to two weeks ahead.
STEPS = (
    ("Task_Intake", "Pemeriksaan di loket", "front_office", 15, 24),
    ("Task_Verify", "Verifikasi berkas", "verifier", 25, 72),
    ("Task_Review", "Telaah teknis", "technical_reviewer", 12, 168),
    ("Task_FisheriesReview", "Telaah teknis perikanan", "fisheries_reviewer", 8, 168),
    ("Task_Inspect", "Pemeriksaan fisik kapal", "regency_fisheries", 7, 336),
    ("Task_Survey", "Survei lapangan", "field_inspector", 8, 336),
    ("Task_Payment", "Verifikasi pembayaran retribusi", "finance", 10, 72),
    ("Task_Sign", "Tanda tangan izin", "head_of_office", 15, 48),
)
REVISION_STEP = ("Task_Revise", "Perbaiki permohonan")
CHOICES = '["Setujui", "Kembalikan untuk perbaikan", "Tolak"]'
FIRST_NAMES = ("Andi", "Budi", "Citra", "Dewi", "Eka", "Fajar", "Gita", "Hasan", "Indah", "Joko", "Kurnia", "Lestari",
               "Muhammad", "Nur", "Putri", "Rina", "Sari", "Taufik", "Wahyu", "Yusuf")
LAST_NAMES = ("Pratama", "Santoso", "Rahman", "Hidayat", "Saputra", "Wijaya", "Nugroho", "Lestari", "Siregar",
              "Syahrir", "Daeng", "Mappaseng", "Baso", "Tahir", "Amir", "Latif", "Halim", "Pasande", "Rante",
              "Sompa")
OPEN_WINDOW_DAYS = 28
HISTORY_DAYS = 730
TABLES = ("instance", "task", "task_candidate")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _weighted(weights: dict) -> list:
    """An array in which each key appears ``weight`` times: ``arr[1 + floor(random() * n)]`` is a weighted draw."""
    return [key for key, weight in weights.items() for _ in range(weight)]


def _step_table(cur) -> None:
    """A temporary table of the steps (n = 0 is the applicant's revision step) for the generating queries."""
    cur.execute("CREATE TEMP TABLE bench_step (n int PRIMARY KEY, element_id text, name text, grp text,"
                " form text, target_hours int, for_applicant boolean) ON COMMIT DROP")
    rows = [(0, *REVISION_STEP, None, "revise", None, True)]
    rows += [(n, element, name, group, element.removeprefix("Task_").lower(), hours, False)
             for n, (element, name, group, _, hours) in enumerate(STEPS, start=1)]
    cur.executemany("INSERT INTO bench_step VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)


def _synthetic_definitions(cur) -> None:
    """Retired copies of the research permit's definition under the other service keys (foreign key targets)."""
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = 'service_definition' AND column_name NOT IN ('id', 'key', 'status')")
    columns = ", ".join(f'"{row[0]}"' for row in cur.fetchall())
    for key in SYNTHETIC_SERVICES:
        cur.execute(f"INSERT INTO service_definition (key, status, {columns}) SELECT %s, 'retired', {columns}"
                    " FROM service_definition WHERE key = 'research_permit' ORDER BY version DESC LIMIT 1", (key,))


def _drop_secondary_indexes(cur) -> list[str]:
    """Drop the plain indexes of the loaded tables (not those behind constraints); return their definitions."""
    cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)", (list(TABLES),))
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


_OPEN_INSTANCES = """
INSERT INTO instance (id, definition_id, service_key, registration_no, applicant, applicant_name, jurisdiction,
                      status, state, serializer_version, revision, started_at, updated_at, sla, sla_state,
                      paused_seconds)
SELECT g.id, d.id, g.svc, 'BENCH/' || g.svc || '/' || g.id, 'pemohon' || mod(g.id, 20000),
       g.first_name || ' ' || g.last_name, g.jur, 'running', '{}', 'bench', 3, g.started, g.started, 'P10D',
       'on_track', 0
FROM (SELECT id,
             (%(svc)s::text[])[1 + floor(random() * cardinality(%(svc)s::text[]))::int] AS svc,
             (%(jur)s::text[])[1 + floor(random() * cardinality(%(jur)s::text[]))::int] AS jur,
             (%(first)s::text[])[1 + floor(random() * cardinality(%(first)s::text[]))::int] AS first_name,
             (%(last)s::text[])[1 + floor(random() * cardinality(%(last)s::text[]))::int] AS last_name,
             %(now)s - power(random(), 2) * make_interval(days => %(window)s::int) AS started
      FROM generate_series(%(first_id)s::int, %(last_id)s::int) AS id) g
JOIN service_definition d ON d.key = g.svc AND d.version = 1
"""

_CLOSED_INSTANCES = """
INSERT INTO instance (id, definition_id, service_key, registration_no, applicant, applicant_name, jurisdiction,
                      status, outcome, state, serializer_version, revision, started_at, updated_at, ended_at, sla,
                      sla_state, paused_seconds)
SELECT g.id, d.id, g.svc, 'BENCH/' || g.svc || '/' || g.id, 'pemohon' || mod(g.id, 20000),
       g.first_name || ' ' || g.last_name, g.jur, g.status, 'Izin terbit', '{}', 'bench', 5, g.started,
       g.started + interval '6 days', g.started + interval '6 days', 'P10D', 'met', 0
FROM (SELECT id,
             (%(svc)s::text[])[1 + floor(random() * cardinality(%(svc)s::text[]))::int] AS svc,
             (%(jur)s::text[])[1 + floor(random() * cardinality(%(jur)s::text[]))::int] AS jur,
             (%(first)s::text[])[1 + floor(random() * cardinality(%(first)s::text[]))::int] AS first_name,
             (%(last)s::text[])[1 + floor(random() * cardinality(%(last)s::text[]))::int] AS last_name,
             CASE WHEN random() < 0.05 THEN 'cancelled' ELSE 'completed' END AS status,
             %(now)s - make_interval(days => %(window)s::int)
               - random() * make_interval(days => %(history)s::int) AS started
      FROM generate_series(%(first_id)s::int, %(last_id)s::int) AS id) g
JOIN service_definition d ON d.key = g.svc AND d.version = 1
"""

# One row per task to create: (instance, position in the file, open?, created at). Open files have 0-3 finished
# steps before their open one, spread between the file's start and now.
_PLAN_OPEN = """
CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
SELECT i.id AS instance_id, s.ord, s.ord = f.k AS is_open,
       i.started_at + (%(now)s - i.started_at) * ((s.ord + random()) / (f.k + 1)) AS created_at
FROM instance i
CROSS JOIN LATERAL (SELECT floor(random() * 4)::int + i.id * 0 AS k) f
CROSS JOIN LATERAL generate_series(0, f.k) AS s(ord)
WHERE i.id >= %(first_id)s::int
"""

_PLAN_CLOSED = """
INSERT INTO bench_plan
SELECT i.id, s.ord, false, i.started_at + make_interval(days => s.ord) + random() * interval '20 hours'
FROM instance i CROSS JOIN generate_series(0, 3) AS s(ord)
WHERE i.id >= %(first_id)s::int AND (i.id - %(first_id)s::int) * 4 + s.ord < %(count)s::int
"""

_TASKS = """
WITH picked AS MATERIALIZED (
  SELECT p.*,
         CASE WHEN p.is_open AND random() < 0.05 THEN 0
              ELSE (%(steps)s::int[])[1 + floor(random() * cardinality(%(steps)s::int[]))::int] END AS step,
         random() AS r_claim, random() AS r_who, random() AS r_took, random() AS r_cancel
  FROM bench_plan p
), shaped AS (
  SELECT pk.*, i.service_key, i.jurisdiction, i.applicant, i.registration_no, i.applicant_name, s.element_id,
         s.name, s.grp, s.form, s.for_applicant,
         make_interval(hours => s.target_hours) AS target,
         pk.created_at + make_interval(hours => s.target_hours) AS due,
         pk.created_at + make_interval(hours => s.target_hours) * (0.2 + 1.2 * pk.r_took) AS done_at,
         s.grp || '.' || i.jurisdiction || '.' || (1 + floor(pk.r_who * 3)) AS officer
  FROM picked pk JOIN instance i ON i.id = pk.instance_id JOIN bench_step s ON s.n = pk.step
)
INSERT INTO task (id, instance_id, service_key, element_id, name, form_key, candidate_groups, for_applicant,
                  jurisdiction, assignee, state, decision_choices, decision, created_at, claimed_at, completed_at,
                  completed_by, sla, sla_pause, due_at, sla_state, sla_target_seconds, at_risk_at, breached_at,
                  paused_seconds, working_seconds, search_text)
SELECT gen_random_uuid()::text, instance_id, service_key, element_id, name, service_key || '/' || form,
       CASE WHEN for_applicant THEN '[]'::json ELSE json_build_array(grp) END, for_applicant, jurisdiction,
       CASE WHEN for_applicant THEN applicant WHEN NOT is_open OR r_claim < 0.2 THEN officer END,
       CASE WHEN NOT is_open THEN (CASE WHEN r_cancel < 0.03 THEN 'cancelled' ELSE 'completed' END)
            WHEN for_applicant OR r_claim >= 0.2 THEN 'ready' ELSE 'claimed' END,
       CASE WHEN for_applicant THEN '[]'::json ELSE %(choices)s::json END,
       CASE WHEN NOT is_open AND NOT for_applicant THEN 'Setujui' END,
       created_at,
       CASE WHEN NOT is_open OR (r_claim < 0.2 AND NOT for_applicant) THEN created_at + interval '10 minutes' END,
       CASE WHEN NOT is_open THEN done_at END,
       CASE WHEN NOT is_open THEN (CASE WHEN for_applicant THEN applicant ELSE officer END) END,
       CASE WHEN NOT for_applicant THEN 'PT' || extract(epoch FROM target)::int / 3600 || 'H' END,
       for_applicant,
       CASE WHEN NOT for_applicant THEN due END,
       CASE WHEN for_applicant THEN NULL
            WHEN NOT is_open THEN (CASE WHEN done_at <= due THEN 'met' ELSE 'missed' END)
            WHEN due <= %(now)s THEN 'breached' ELSE 'on_track' END,  -- at risk is read off at_risk_at
       CASE WHEN NOT for_applicant THEN extract(epoch FROM target) END,
       CASE WHEN NOT for_applicant THEN due - 0.2 * target END,
       CASE WHEN NOT for_applicant THEN due END,
       0,
       CASE WHEN NOT is_open THEN extract(epoch FROM done_at - created_at) END,
       lower(registration_no || ' ' || applicant_name || ' ' || name)
FROM shaped
"""


@contextmanager
def _timed(log, what: str):
    started = time.perf_counter()
    yield
    log(f"  {what}: {time.perf_counter() - started:.1f} s")


def load_history(conninfo: str, *, total: int, open_: int, now, seed: float = 0.42, log=print) -> dict:
    """Generate ``total`` tasks (``open_`` of them open) with their applications; return the counts loaded."""
    if total < open_:
        raise ValueError("the total must include the open tasks")
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # generated rows are consistent: skip FK triggers
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute("SELECT setseed(%s)", (seed,))
        cur.execute("SELECT coalesce(max(id), 0) FROM instance")
        first_id = cur.fetchone()[0] + 1
        _step_table(cur)
        _synthetic_definitions(cur)
        indexes = _drop_secondary_indexes(cur)
        params = {"svc": _weighted(SERVICES), "jur": _weighted(JURISDICTIONS), "first": list(FIRST_NAMES),
                  "last": list(LAST_NAMES), "now": now, "window": OPEN_WINDOW_DAYS, "history": HISTORY_DAYS,
                  "steps": [n for n, step in enumerate(STEPS, start=1) for _ in range(step[3])],
                  "choices": CHOICES}
        with _timed(log, "applications"):
            cur.execute(_OPEN_INSTANCES, {**params, "first_id": first_id, "last_id": first_id + open_ - 1})
            cur.execute(_PLAN_OPEN, {**params, "first_id": first_id})
            cur.execute("SELECT count(*) FROM bench_plan")
            closed_tasks = max(total - cur.fetchone()[0], 0)
            closed_first = first_id + open_
            cur.execute(_CLOSED_INSTANCES, {**params, "first_id": closed_first,
                                            "last_id": closed_first + (closed_tasks + 3) // 4 - 1})
            cur.execute(_PLAN_CLOSED, {"first_id": closed_first, "count": closed_tasks})
        with _timed(log, f"{total:,} tasks"):
            cur.execute(_TASKS, params)
        with _timed(log, "candidate groups"):
            cur.execute("INSERT INTO task_candidate (task_id, group_name) SELECT id, json_array_elements_text("
                        "candidate_groups) FROM task WHERE NOT for_applicant AND instance_id >= %s", (first_id,))
        cur.execute("SELECT setval('instance_id_seq', (SELECT max(id) FROM instance))")
        with _timed(log, f"{len(indexes)} indexes"):
            for definition in indexes:
                cur.execute(definition)
        cur.execute("SELECT count(*), count(*) FILTER (WHERE state IN ('ready', 'claimed')) FROM task")
        tasks, open_tasks = cur.fetchone()
    with _timed(log, "VACUUM ANALYZE"):
        vacuum_analyze(conninfo)
    return {"tasks": tasks, "open": open_tasks}


def vacuum_analyze(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f'VACUUM (ANALYZE) "{table}"')


def _copy_out(cur, query: str, params) -> list[str]:
    buffer = io.BytesIO()
    with cur.copy(f"COPY ({query}) TO STDOUT", params) as copy:
        for block in copy:
            buffer.write(block)
    return buffer.getvalue().decode().splitlines()


def _template(cur, instance_id: int, columns: dict) -> dict:
    """The text rows (COPY format) of one application and its open task(s), id and number first."""
    instance = _copy_out(cur, f"SELECT id, registration_no, {columns['instance']} FROM instance WHERE id = %s",
                         (instance_id,))[0]
    tasks = _copy_out(cur, f"SELECT instance_id, {columns['task']} FROM task WHERE instance_id = %s"
                      " AND state IN ('ready', 'claimed')", (instance_id,))
    candidates = _copy_out(cur, "SELECT c.task_id, c.group_name FROM task_candidate c JOIN task t ON t.id = c.task_id"
                           " WHERE t.instance_id = %s AND t.state IN ('ready', 'claimed')", (instance_id,))
    number = instance.split("\t")[1]
    return {"instance": instance.split("\t", 2)[2], "tasks": [t.split("\t", 1)[1] for t in tasks],
            "candidates": candidates, "number": number}


def _columns(cur, table: str, skip: tuple[str, ...]) -> str:
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = %s ORDER BY ordinal_position", (table,))
    return ", ".join(f'"{name}"' for (name,) in cur.fetchall() if name not in skip)


def clone_applications(conninfo: str, template_ids: list[int], count: int) -> list[str]:
    """``count`` copies of the template applications; returns the ids of their open tasks."""
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        columns = {"instance": _columns(cur, "instance", ("id", "registration_no")),
                   "task": _columns(cur, "task", ("instance_id",))}
        templates = [_template(cur, instance_id, columns) for instance_id in template_ids]
        cur.execute("SELECT nextval('instance_id_seq') FROM generate_series(1, %s)", (count,))
        new_ids = [row[0] for row in cur.fetchall()]
        instances, tasks, candidates, task_ids = [], [], [], []
        for n, new_id in enumerate(new_ids):
            template = templates[n % len(templates)]
            number = f"BENCH-HTTP/{new_id:08d}"
            fresh: dict[str, str] = {}

            def renew(text: str, template=template, number=number, fresh=fresh) -> str:
                text = text.replace(template["number"], number)
                return _UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text)

            instances.append(f"{new_id}\t{number}\t{renew(template['instance'])}\n")
            for row in template["tasks"]:
                renewed = renew(row)
                tasks.append(f"{new_id}\t{renewed}\n")
                task_ids.append(renewed.split("\t", 1)[0])
            candidates.extend(renew(row) + "\n" for row in template["candidates"])
        for table, cols, rows in (("instance", f"id, registration_no, {columns['instance']}", instances),
                                  ("task", f"instance_id, {columns['task']}", tasks),
                                  ("task_candidate", "task_id, group_name", candidates)):
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                copy.write("".join(rows))
    return task_ids
