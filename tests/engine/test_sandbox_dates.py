"""Scripts compute deadlines and fees from data: dates, durations, working days on the office's calendar, decimals —
inside the sandbox, on the engine's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.casework import applications
from engine.errors import SandboxViolation
from engine.sandbox import SandboxPool, create_script_engine
from engine.storage.models import Instance
from tests.conftest import T0
from tests.engine.conftest import APPLICANT, diagram, fields_form

# T0 (tests/conftest.py) is Tuesday 2 June 2026, 09:00 in Makassar; Monday 1 June is Pancasila Day.


def evaluate(ctx, expression: str, data: dict | None = None):
    return ctx.script_engine.environment.evaluate(expression, data or {})


def test_today_and_now_come_from_the_engine_clock_in_office_time(ctx, clock):
    assert evaluate(ctx, "today()") == "2026-06-02"
    assert evaluate(ctx, "now()") == "2026-06-02T09:00:00+08:00"
    clock.advance(timedelta(hours=16))  # 01:00 the next day in Makassar
    assert evaluate(ctx, "today()") == "2026-06-03"


@pytest.mark.parametrize(("expression", "expected"), [
    ("add_working_days('2026-06-02', 3)", "2026-06-05"),  # Tuesday + 3 = Friday
    ("add_working_days('2026-06-05', 1)", "2026-06-08"),  # over the weekend
    ("add_working_days('2026-08-14', 1)", "2026-08-18"),  # over the weekend and Independence Day (Mon 17 Aug)
    ("add_working_days('2026-06-02', -1)", "2026-05-29"),  # back over Pancasila Day and the weekend
    ("working_days_between('2026-05-29', '2026-06-05')", 4),
    ("is_working_day('2026-08-17')", False),
    ("add_days('2026-06-02', 30)", "2026-07-02"),
    ("add_duration('2026-01-31', 'P1M')", "2026-02-28"),
    ("add_duration('2026-06-02T09:00:00+08:00', 'P1DT4H')", "2026-06-03T13:00:00+08:00"),
    ("days_between('2026-06-02', '2026-12-25')", 206),
    ("str(Decimal('0.1') + Decimal('0.2'))", "0.3"),
    ("int(Decimal('12.5') * 1000)", 12500),
])
def test_date_and_decimal_helpers(ctx, expression, expected):
    assert evaluate(ctx, expression) == expected


def test_working_days_follow_the_application_office_calendar(tmp_path, settings, clock):
    from engine.context import EngineContext

    calendars = tmp_path / "calendars.toml"
    calendars.write_text('[office.sinjai]\ndays_off = {2026-06-03 = "Hari libur daerah"}\n', encoding="utf-8")
    ctx = EngineContext(settings=type(settings)(**{**settings.__dict__, "calendars_path": calendars}), clock=clock)
    sinjai = {"application": {"jurisdiction": "sinjai"}}
    assert evaluate(ctx, "add_working_days('2026-06-02', 1)", sinjai) == "2026-06-04"
    assert evaluate(ctx, "add_working_days('2026-06-02', 1)", {"application": {"jurisdiction": "bone"}}) \
        == "2026-06-03"
    assert evaluate(ctx, "add_working_days('2026-06-02', 1, 'sinjai')") == "2026-06-04"


@pytest.mark.parametrize(("expression", "message"), [
    ("add_days('2026-13-01', 1)", "is not a date: write YYYY-MM-DD"),
    ("add_duration('2026-06-02', '2 hari')", "ISO 8601 duration such as 'P14D'"),
    ("add_working_days('2026-06-02', 10 ** 6)", "limited to 36,600 days"),
    ("Decimal('dua')", "is not a number"),
])
def test_a_mistake_says_what_to_write(ctx, expression, message):
    with pytest.raises(ValueError, match=message):
        evaluate(ctx, expression)


def test_a_decimal_must_be_stored_as_text_or_a_number(ctx):
    with pytest.raises(SandboxViolation, match=r"Decimal \(store str\(x\) or int\(x\)\)"):
        ctx.script_engine.environment.execute("fee = Decimal('12500')", {})


DEADLINE = diagram("""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="deadline"/>
    <bpmn:scriptTask id="deadline" name="Hitung batas waktu" scriptFormat="python">
      <bpmn:script>pay_before = add_working_days(today(), 5)
fee = str(Decimal(area) * Decimal('2500.50'))</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="deadline" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>""")


def test_a_script_task_computes_a_deadline_and_a_fee_from_data(db, ctx, deploy):
    deploy(DEADLINE, {"apply": fields_form(area="string")})
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="p", data={"area": "4"}, actor=APPLICANT).id
    with db.transaction() as session:
        data = applications.current_data(ctx, session.get(Instance, instance_id))
    assert data["pay_before"] == "2026-06-09"  # Tuesday + 5 working days
    assert data["fee"] == "10002.00"


def test_a_new_workers_start_and_first_working_day_sum_are_not_counted_against_a_scripts_time():
    # Starting a worker (imports) and the holidays library's first year of Indonesian holidays take a second or more
    # on a busy machine; both happen before the worker says it is ready, outside any script's time limit, so even a
    # tight limit holds for the sum itself.
    pool = SandboxPool(size=1, memory_limit=128 * 2**20, grace=0.05)
    try:
        tight = create_script_engine(time_limit=0.1, pool=pool, clock=lambda: T0).environment
        assert tight.evaluate("add_working_days('2026-08-14', 1)", {}) == "2026-08-18"
        assert pool.started == 1
    finally:
        pool.close()
