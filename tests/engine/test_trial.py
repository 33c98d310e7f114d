"""A draft's test run: the real spec and sandbox in memory, decisions chosen by the analyst, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidInput
from engine.services import definitions, trial
from engine.services.trial import TrialStep
from engine.storage.models import Event, Instance, Task
from tests import samples


@pytest.fixture
def draft(db, ctx):
    from engine.bpmn.compiler import SourceFile
    from tests.conftest import PROJECT_ROOT

    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    with db.transaction() as session:
        return definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                                  definitions.form_source(ctx, path), actor="analis", publish=False).definition


def _run(db, ctx, definition, steps, data=None):
    with db.transaction() as session:
        form = definitions.form_of(session, definition, definition.meta.get("start_form"))
        return trial.run(ctx, definition, form, samples.research_application() if data is None else data, steps)


def test_a_draft_runs_to_its_first_human_task_without_creating_an_application(db, ctx, draft):
    result = _run(db, ctx, draft, [])
    assert draft.status == "draft"
    assert [w.element_id for w in result.waiting] == ["Task_Verify"]
    assert result.waiting[0].decisions == ["Setujui", "Kembalikan untuk perbaikan", "Tolak"]
    assert result.visited[:2] == ["StartEvent_Submitted", "Gateway_ToVerify"]
    assert not result.finished and result.start_errors == {}
    with db.transaction() as session:
        assert session.scalar(select(func.count(Instance.id))) == 0
        assert session.scalar(select(func.count(Task.id))) == 0
        assert session.scalar(select(func.count(Event.id)).where(Event.kind != "deployed")) == 0


def test_choosing_decisions_follows_the_flows_and_runs_the_scripts_to_the_end(db, ctx, draft):
    steps = [TrialStep("Task_Verify", "Kembalikan untuk perbaikan"), TrialStep("Task_Revise"),
             TrialStep("Task_Verify", "Setujui"), TrialStep("Task_Sign", samples.SIGN, data=samples.SIGNATURE)]
    result = _run(db, ctx, draft, steps)
    assert result.finished and result.outcome == "Izin penelitian terbit"
    assert [p["element_id"] for p in result.path if p["decision"]] == ["Task_Verify", "Task_Verify", "Task_Sign"]
    assert [p["decision"] for p in result.path if p["decision"]] == [
        "Kembalikan untuk perbaikan", "Setujui", "Tandatangani"]
    assert "Task_IssueNumber" in result.visited and result.visited[-1] == "EndEvent_Issued"
    # A test run signs nothing: the permit number is reserved when the head of office signs (signing_step).
    assert result.data["issued"] is True and "permit_number" not in result.data


def test_rejecting_ends_on_the_rejection(db, ctx, draft):
    result = _run(db, ctx, draft, [TrialStep("Task_Verify", "Tolak")])
    assert result.finished and result.outcome == "Permohonan ditolak" and result.waiting == []


def test_a_decision_the_task_does_not_offer_or_a_task_not_waiting_is_refused(db, ctx, draft):
    with pytest.raises(InvalidInput, match="Choose one of"):
        _run(db, ctx, draft, [TrialStep("Task_Verify", "Mungkin")])
    with pytest.raises(InvalidInput, match="not waiting"):
        _run(db, ctx, draft, [TrialStep("Task_Sign")])


def test_sample_data_is_checked_against_the_start_form_and_a_generated_sample_passes(db, ctx, draft):
    result = _run(db, ctx, draft, [], data={"research_title": 5})
    assert "research_title" in result.start_errors and "applicant_name" in result.start_errors
    with db.transaction() as session:
        form = definitions.form_of(session, draft, draft.meta["start_form"])
    generated = trial.sample_start_data(draft, form)
    assert _run(db, ctx, draft, [], data=generated).waiting[0].element_id == "Task_Verify"
