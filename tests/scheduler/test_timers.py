"""The timer job: every kind of BPMN timer fires once, on time, from the scheduler; downtime is caught up once."""

from __future__ import annotations

from datetime import timedelta

from engine.storage.models import Instance
from scheduler import jobs
from tests import samples
from tests.drive import events, instance, open_rows, start, step
from tests.engine.conftest import SINJAI_FISHERIES, VERIFIER, diagram


def _fire(db, ctx) -> jobs.TimerReport:
    return jobs.fire_timers(db.factory, ctx)


def _elements(db, iid) -> list[str]:
    return [r.element_id for r in open_rows(db, iid)]


INTERMEDIATE = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="Tunggu 4 jam">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                       process_id="wait4h")


def _boundary(interrupting: bool, timer: str, process_id: str) -> str:
    return diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Telaah" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="done"/><bpmn:endEvent id="done" name="Selesai"/>
    <bpmn:boundaryEvent id="timer" name="Pengingat" attachedToRef="review"
                        cancelActivity="{'true' if interrupting else 'false'}">
      <bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="timer" targetRef="remind"/>
    <bpmn:userTask id="remind" name="Tindak lanjut" camunda:candidateGroups="kabid"/>
    <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="followed"/>
    <bpmn:endEvent id="followed" name="Ditindaklanjuti"/>""", process_id=process_id)


EVENT_GATEWAY = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
    <bpmn:eventBasedGateway id="gw" name="Bayar atau kedaluwarsa"/>
    <bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="paid"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="deadline"/>
    <bpmn:intermediateCatchEvent id="paid" name="Retribusi dibayar">
      <bpmn:messageEventDefinition messageRef="payment"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="deadline" name="Batas bayar">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="paid" targetRef="ok"/><bpmn:endEvent id="ok" name="Dibayar"/>
    <bpmn:sequenceFlow id="f4" sourceRef="deadline" targetRef="expired"/>
    <bpmn:endEvent id="expired" name="Kedaluwarsa"/>""", process_id="pay",
                        extra='  <bpmn:message id="payment" name="retribusi_dibayar"/>\n')


class TestEveryTimerKind:
    def test_intermediate_timer_fires_when_due_and_not_before(self, db, ctx, clock, deploy):
        deploy(INTERMEDIATE)
        iid = start(db, ctx, "wait4h")
        clock.advance(timedelta(hours=3, minutes=59))
        assert _fire(db, ctx).instances == 0
        clock.advance(timedelta(minutes=2))
        assert _fire(db, ctx).instances == 1
        assert (instance(db, iid).status, instance(db, iid).outcome) == ("completed", "Selesai")
        assert _fire(db, ctx).instances == 0
        assert len(events(db, iid, "timer_fired")) == 1

    def test_interrupting_boundary_timer_closes_the_revision_of_the_real_service(self, db, ctx, clock,
                                                                                 deploy_service):
        deploy_service("fishing_vessel_permit")
        iid = start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
        step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
        clock.advance(timedelta(days=14, seconds=1))
        assert _fire(db, ctx).instances == 1
        file = instance(db, iid)
        assert (file.status, file.outcome, file.next_timer_at) == ("completed",
                                                                    "Berkas ditutup (tidak dilengkapi)", None)
        assert _elements(db, iid) == []

    def test_non_interrupting_boundary_timer_adds_a_step_and_keeps_the_first(self, db, ctx, clock, deploy):
        deploy(_boundary(False, "<bpmn:timeDuration>PT1H</bpmn:timeDuration>", "remind_once"))
        iid = start(db, ctx, "remind_once")
        clock.advance(timedelta(hours=1, seconds=1))
        assert _fire(db, ctx).instances == 1
        assert _elements(db, iid) == ["review", "remind"]
        clock.advance(timedelta(hours=5))
        assert _fire(db, ctx).instances == 0
        assert step(db, ctx, iid, "review", VERIFIER) == ["remind"]

    def test_interrupting_boundary_timer_cancels_the_step(self, db, ctx, clock, deploy):
        deploy(_boundary(True, "<bpmn:timeDuration>PT1H</bpmn:timeDuration>", "take_over"))
        iid = start(db, ctx, "take_over")
        clock.advance(timedelta(hours=1, seconds=1))
        assert _fire(db, ctx).instances == 1
        assert _elements(db, iid) == ["remind"]
        assert [r.state for r in open_rows(db, iid)] == ["ready"]
        assert len(events(db, iid, "timer_fired")) == 1

    def test_event_based_gateway_deadline(self, db, ctx, clock, deploy):
        deploy(EVENT_GATEWAY)
        iid = start(db, ctx, "pay")
        assert instance(db, iid).next_timer_at == clock.now() + timedelta(days=2)
        clock.advance(timedelta(days=1))
        assert _fire(db, ctx).instances == 0
        clock.advance(timedelta(days=1, seconds=1))
        assert _fire(db, ctx).instances == 1
        assert (instance(db, iid).status, instance(db, iid).outcome) == ("completed", "Kedaluwarsa")

    def test_cycle_timer_fires_each_cycle_once(self, db, ctx, clock, deploy):
        deploy(_boundary(False, "<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle>", "remind_hourly"))
        iid = start(db, ctx, "remind_hourly")
        for expected in (1, 2, 3):
            clock.advance(timedelta(hours=1, seconds=1))
            assert _fire(db, ctx).instances == 1
            assert _elements(db, iid).count("remind") == expected
        clock.advance(timedelta(hours=5))
        assert _fire(db, ctx).instances == 0
        assert _elements(db, iid).count("remind") == 3
        assert instance(db, iid).next_timer_at is None


def test_timers_missed_while_down_fire_once_on_the_next_run(db, ctx, clock, deploy):
    deploy(INTERMEDIATE)
    deploy(_boundary(False, "<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle>", "remind_hourly"))
    waiting = [start(db, ctx, "wait4h") for _ in range(5)]
    hourly = start(db, ctx, "remind_hourly")
    clock.advance(timedelta(days=3))  # the server was down over a long weekend
    report = _fire(db, ctx)
    assert (report.instances, report.failed) == (6, 0)
    assert all(instance(db, iid).status == "completed" for iid in waiting)
    assert all(len(events(db, iid, "timer_fired")) == 1 for iid in waiting)
    assert _elements(db, hourly).count("remind") == 3  # each missed occurrence once, none twice
    assert _fire(db, ctx).instances == 0
    with db.transaction() as session:
        assert session.query(Instance).filter(Instance.next_timer_at.is_not(None)).count() == 0


def test_only_due_instances_are_loaded(db, ctx, clock, deploy):
    deploy(INTERMEDIATE)
    early = start(db, ctx, "wait4h")
    clock.advance(timedelta(hours=2))
    later = start(db, ctx, "wait4h")
    clock.advance(timedelta(hours=2, seconds=1))
    assert _fire(db, ctx).instances == 1
    assert (instance(db, early).status, instance(db, later).status) == ("completed", "running")
    assert events(db, later, "timer_fired") == []


def test_a_failing_firing_does_not_undo_the_others_in_its_batch(db, ctx, clock, deploy, monkeypatch):
    """Several applications fire in one transaction (``jobs.TIMER_BATCH``), each in a savepoint: the one that fails
    is rolled back alone and fires on the next run; the firings before and after it in the batch are kept."""
    deploy(INTERMEDIATE)
    ids = [start(db, ctx, "wait4h") for _ in range(5)]
    broken = ids[2]
    clock.advance(timedelta(hours=4, seconds=1))
    fire = jobs.tasks.fire_due_timers

    def failing(session, context, instance_id, actor="system"):
        fired = fire(session, context, instance_id, actor=actor)
        if instance_id == broken:  # after its writes: the savepoint must take them back
            raise RuntimeError("disk full while writing the letter")
        return fired

    monkeypatch.setattr(jobs.tasks, "fire_due_timers", failing)
    report = jobs.fire_timers(db.factory, ctx, batch=5)
    assert (report.instances, report.failed) == (4, 1)
    assert [instance(db, iid).status for iid in ids] == ["completed"] * 2 + ["running"] + ["completed"] * 2
    assert events(db, broken, "timer_fired") == []
    monkeypatch.setattr(jobs.tasks, "fire_due_timers", fire)
    assert _fire(db, ctx).instances == 1
    assert instance(db, broken).status == "completed"
    assert all(len(events(db, iid, "timer_fired")) == 1 for iid in ids)
