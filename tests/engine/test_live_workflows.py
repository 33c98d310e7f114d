"""Workflows kept in memory between an application's steps: reused only for the exact stored text, never shared,
never after a failed or rolled-back step, and with the same results as restoring every step."""

from __future__ import annotations

import re

import orjson
import pytest

from engine.casework import applications, tasks
from engine.config import Settings
from engine.context import EngineContext
from engine.errors import Conflict, ProcessError
from engine.storage.models import Instance
from engine.workflow.live_workflows import LiveWorkflows
from tests import samples
from tests.engine.conftest import APPLICANT, HEAD, REVIEW_FORMS, REVIEW_THEN_DIVIDE, VERIFIER, open_task_rows


def _start(db, ctx, service="p", data=None):
    with db.transaction() as session:
        return applications.start(session, ctx, service=service, data=data or {}, actor=APPLICANT).id


def _task(db, instance_id, element_id):
    with db.transaction() as session:
        (task_id,) = [t.id for t in open_task_rows(session, instance_id) if t.element_id == element_id]
        return task_id


def _complete(db, ctx, instance_id, element_id, actor, data=None, decision=None):
    task_id = _task(db, instance_id, element_id)
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, actor, data or {}, decision=decision)


def _stored(db, instance_id):
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        return instance.state, instance.status


class TestTheMap:
    def test_hands_out_only_for_the_exact_text_it_was_kept_for(self):
        live = LiveWorkflows(4)
        workflow = object()
        live.keep(7, '{"a": 1}', workflow)
        assert live.take(7, '{"a": 2}') is None
        live.keep(7, '{"a": 1}', workflow)
        assert live.take(7, '{"a": 1}') is workflow

    def test_handing_out_removes_it_so_no_two_steps_share_a_workflow(self):
        live = LiveWorkflows(4)
        live.keep(7, "s", object())
        assert live.take(7, "s") is not None
        assert live.take(7, "s") is None

    def test_bounded_least_recently_kept_dropped_first(self):
        live = LiveWorkflows(2)
        for instance_id in (1, 2, 3):
            live.keep(instance_id, "s", instance_id)
        assert len(live) == 2
        assert live.take(1, "s") is None and live.take(3, "s") == 3

    def test_size_zero_keeps_nothing(self):
        live = LiveWorkflows(0)
        live.keep(1, "s", object())
        assert len(live) == 0 and live.take(1, "s") is None

    def test_the_size_comes_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("LINCAH_LIVE_WORKFLOWS", "12")
        assert Settings.from_env().live_workflows == 12
        monkeypatch.setenv("LINCAH_LIVE_WORKFLOWS", "many")
        with pytest.raises(ValueError, match="LINCAH_LIVE_WORKFLOWS must be a whole number"):
            Settings.from_env()


class TestSteps:
    def test_the_next_step_starts_from_the_workflow_the_last_one_saved(self, db, ctx, deploy):
        deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
        iid = _start(db, ctx, data={"base_fee": 100})
        hits = ctx.live.hits
        _complete(db, ctx, iid, "review", VERIFIER, {"divisor": 4})
        assert ctx.live.hits == hits + 1
        with db.transaction() as session:
            instance = session.get(Instance, iid)
            assert instance.status == "completed"
            assert applications.current_data(ctx, instance)["fee"] == 25

    def test_after_a_rolled_back_step_the_stored_state_is_restored(self, db, ctx, deploy):
        deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
        iid = _start(db, ctx, data={"base_fee": 100})
        task_id = _task(db, iid, "review")
        with pytest.raises(RuntimeError), db.transaction() as session:
            tasks.complete(session, ctx, task_id, VERIFIER, {"divisor": 4})
            raise RuntimeError("the request failed after the step")  # rolls the step back
        misses = ctx.live.misses
        # Had the rolled-back step's workflow been reused, its review task would be done already (a Conflict).
        _complete(db, ctx, iid, "review", VERIFIER, {"divisor": 5})
        assert ctx.live.misses == misses + 1
        with db.transaction() as session:
            assert applications.current_data(ctx, session.get(Instance, iid))["fee"] == 20

    def test_a_failed_step_never_hands_its_half_run_workflow_on(self, db, ctx, deploy):
        deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
        iid = _start(db, ctx, data={"base_fee": 100})
        state_before, _ = _stored(db, iid)
        with pytest.raises(ProcessError):
            _complete(db, ctx, iid, "review", VERIFIER, {"divisor": 0})
        state_after, status = _stored(db, iid)
        assert (state_after, status) == (state_before, "error")
        assert ctx.live.take(iid, state_after) is None

    def test_a_lost_race_is_a_conflict_and_the_winners_state_stays(self, db, ctx, deploy):
        deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
        iid = _start(db, ctx, data={"base_fee": 100})
        task_id = _task(db, iid, "review")
        _complete(db, ctx, iid, "review", VERIFIER, {"divisor": 4})
        with pytest.raises(Conflict), db.transaction() as session:
            tasks.complete(session, ctx, task_id, VERIFIER, {"divisor": 2})
        with db.transaction() as session:
            assert applications.current_data(ctx, session.get(Instance, iid))["fee"] == 25


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _comparable(state: str) -> str:
    """The state with task ids numbered in order of appearance, the library's wall-clock times left out, and the
    application's own numbers (the second application of the test has the next one)."""
    numbers: dict[str, str] = {}
    text = _UUID.sub(lambda m: numbers.setdefault(m.group(0), f"task-{len(numbers)}"), state)
    text = re.sub(r'"registration_no":"[^"]*"', '"registration_no":"-"', text)
    text = re.sub(r'"seq":\d+', '"seq":0', text)
    text = re.sub(r'"permit_number":"[^"]*"', '"permit_number":"-"', text)
    body = orjson.loads(text)
    for entry in body["tasks"].values():
        entry.pop("last_state_change")
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


def test_an_application_kept_in_memory_saves_what_one_restored_every_step_saves(db, settings, clock,
                                                                              deploy_service):
    """The research permit through two revision loops to the permit, once reusing workflows and once restoring
    every step: the stored state after each step is the same."""
    warm = EngineContext(settings=settings, clock=clock)
    cold = EngineContext(settings=settings, clock=clock, live=LiveWorkflows(0))
    deploy_service("research_permit")
    steps = [("Task_Verify", VERIFIER, {"note": "KTP buram"}, "Kembalikan untuk perbaikan"),
             ("Task_Revise", APPLICANT, samples.REVISION, None),
             ("Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Kembalikan untuk perbaikan"),
             ("Task_Revise", APPLICANT, samples.REVISION, None),
             ("Task_Verify", VERIFIER, {**samples.VERIFIED, "note": "Lengkap"}, "Setujui"),
             ("Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)]
    runs = {}
    for name, ctx in (("warm", warm), ("cold", cold)):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        states = []
        for element_id, actor, data, decision in steps:
            _complete(db, ctx, iid, element_id, actor, data, decision)
            states.append(_comparable(_stored(db, iid)[0]))
        runs[name] = states
    assert warm.live.hits == len(steps) and cold.live.hits == 0
    assert runs["warm"] == runs["cold"]


def test_a_kept_workflow_runs_its_expressions_in_the_sandbox(db, ctx, deploy, tmp_path):
    """Kept or restored, the workflow a step gets evaluates in the sandbox (the stored text carries no engine)."""
    from engine.errors import SandboxViolation

    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    iid = _start(db, ctx, data={"base_fee": 100})
    state, _ = _stored(db, iid)
    kept = ctx.live.take(iid, state)
    assert kept is not None and kept.script_engine is ctx.script_engine
    (task,) = [t for t in kept.get_tasks() if t.task_spec.name == "review"]
    marker = tmp_path / "escaped"
    with pytest.raises(Exception) as refused:
        kept.script_engine.evaluate(task, f"__import__('os').system('touch {marker}')")
    assert isinstance(refused.value, SandboxViolation) or isinstance(refused.value.__context__, SandboxViolation)
    assert not marker.exists()
