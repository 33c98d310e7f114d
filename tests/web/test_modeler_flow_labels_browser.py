"""A task dropped onto a labelled sequence flow in the analyst's modeler (real Chromium) does not cover the flow's
label: bpmn-js splits the flow, then web/src/label-behavior.js moves the label beside the flow, clear of the task —
and one undo takes back both the insertion and the move.

The flows are the research permit's gateway exits: "Tolak" on a level flow, "Setujui" beside an upright one. Each
task lands where it would cover the label: dropped new onto the line, as from the palette, or an existing task moved
onto it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.studio_support import live_server, open_page

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

RESEARCH_V1 = "/analyst/modeler?key=research_permit&version=1"

# Puts a task on the flow through bpmn-js's own API, as the palette and a drag do: "create" drops a new task with the
# flow as its parent; "move" first places a task 220 px below and then moves it onto the flow. Reports the label's
# and the task's bounds before and after, and after one undo.
INSERT_AND_UNDO = """([flowId, x, y, how]) => {
  const modeler = window.lincahModeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const bounds = (e) => ({ x: e.x, y: e.y, width: e.width, height: e.height });
  const flow = registry.get(flowId);
  const labelBefore = bounds(flow.label);
  const shape = modeler.get('elementFactory').createShape({ type: 'bpmn:Task' });
  if (how === 'create') {
    modeling.createShape(shape, { x, y }, flow);
  } else {
    modeling.createShape(shape, { x, y: y + 220 }, flow.parent);
    modeling.moveElements([shape], { x: 0, y: -220 }, flow);
  }
  const after = {
    label: bounds(registry.get(flowId).label), task: bounds(shape),
    flowEnds: registry.get(flowId).target.id, taskOnDiagram: !!registry.get(shape.id),
  };
  modeler.get('commandStack').undo();
  const undone = {
    label: bounds(registry.get(flowId).label), flowEnds: registry.get(flowId).target.id,
    taskOnDiagram: !!registry.get(shape.id) && shape.y === y + 220 - 40,  // a moved task goes back below
  };
  return { labelBefore, after, undone };
}"""


def overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def task_box(x: float, y: float) -> dict:
    """Where a default task (100 × 80) centred on (x, y) stands."""
    return {"x": x - 50, "y": y - 40, "width": 100, "height": 80}


@pytest.mark.parametrize(("flow", "drop", "original_target", "how"), [
    ("Flow_Reject", (723, 380), "EndEvent_Rejected", "create"),  # "Tolak": a level flow, label just above the line
    ("Flow_Approve", (630, 477), "Task_Sign", "create"),  # "Setujui": label left of the flow's upright segment
    ("Flow_Reject", (723, 380), "EndEvent_Rejected", "move"),  # a task already on the diagram moved onto the flow
])
def test_a_task_dropped_on_a_labelled_flow_leaves_the_label_readable(tmp_path, database, flow, drop,
                                                                    original_target, how, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto(RESEARCH_V1)
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)

        result = page.evaluate(INSERT_AND_UNDO, [flow, *drop, how])

        # Where the task lands, the label was under it: without the behaviour it stays there.
        assert overlap(result["labelBefore"], task_box(*drop))
        assert result["after"]["taskOnDiagram"] and result["after"]["flowEnds"] != original_target  # split
        assert not overlap(result["after"]["label"], result["after"]["task"]), result
        # one undo: the flow as it was, the label back where it stood, the task gone (or back below, when moved)
        assert result["undone"] == {"label": result["labelBefore"], "flowEnds": original_target,
                                    "taskOnDiagram": how == "move"}
    assert errors == []
