// A shape dropped onto a labelled sequence flow must not cover the flow's label ("Ya", "Tolak"…). bpmn-js splits
// the flow (its DropOnFlowBehavior reconnects the flow to the new shape and adds one from it), and the label keeps
// its place — usually right under the new task. After that split, each label of the shape's flows that overlaps the
// shape moves beside its flow's segments, to the nearest free place. It happens inside the same command, so one
// undo takes back the insertion and the move together.
import CommandInterceptor from "diagram-js/lib/command/CommandInterceptor";

// After DropOnFlowBehavior (default priority 1000), so the flows already run to and from the new shape.
const PRIORITY = 500;
// Room kept between a label and the line or shape it stands beside.
const GAP = 6;
// Where along a segment a label may stand: its start, quarter, middle, three quarters, end.
const FRACTIONS = [0, 0.25, 0.5, 0.75, 1];
// A place that covers another element counts as this much farther away than a free one: free places win.
const COVERED_PENALTY = 10000;

export function overlaps(a, b, gap = 0) {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap
    && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

// The places (top-left corners) where a label of `size` can stand beside the segment from `a` to `b`: along it, on
// either side (above or below a level segment, left or right of an upright one, both for a slanted one).
function placesBeside(a, b, size) {
  const places = [];
  const level = Math.abs(b.y - a.y) <= Math.abs(b.x - a.x);
  FRACTIONS.forEach((f) => {
    const x = a.x + (b.x - a.x) * f;
    const y = a.y + (b.y - a.y) * f;
    if (level) {
      // centred on the point, and flush to either side of it (so a short segment still has a place beside it)
      [x - size.width / 2, x - size.width, x].forEach((left) => {
        places.push({ x: left, y: y - GAP - size.height });
        places.push({ x: left, y: y + GAP });
      });
    } else {
      [y - size.height / 2, y - size.height, y].forEach((top) => {
        places.push({ x: x + GAP, y: top });
        places.push({ x: x - GAP - size.width, y: top });
      });
    }
  });
  return places;
}

export default class FlowLabelBehavior extends CommandInterceptor {
  constructor(eventBus, modeling, elementRegistry) {
    super(eventBus);
    installOn(this, modeling, elementRegistry);
  }
}
FlowLabelBehavior.$inject = ["eventBus", "modeling", "elementRegistry"];

function installOn(behavior, modeling, elementRegistry) {
  // Shapes other than `except` (and labels, flows and the canvas's root) that a box at `box` would cover.
  function covered(box, except) {
    return elementRegistry.filter((element) => !element.waypoints && element.parent && !element.labelTarget
      && except.indexOf(element) < 0 && element.type !== "bpmn:Process" && element.type !== "bpmn:Participant"
      && element.type !== "bpmn:Lane" && overlaps(box, element)).length;
  }

  function clearLabel(connection, shape) {
    const label = connection.label;
    if (!label || !label.businessObject || !label.businessObject.name) return;
    if (!overlaps(label, shape, GAP / 2)) return;
    const size = { width: label.width, height: label.height };
    const points = connection.waypoints || [];
    let best = null;
    for (let i = 0; i + 1 < points.length; i += 1) {
      placesBeside(points[i], points[i + 1], size).forEach((place) => {
        const box = { ...place, ...size };
        if (overlaps(box, shape, GAP / 2)) return;
        const distance = Math.hypot(place.x - label.x, place.y - label.y);
        const cost = distance + COVERED_PENALTY * covered(box, [shape, label, connection]);
        if (!best || cost < best.cost) best = { place, cost };
      });
    }
    // No segment has room (the flow is hidden under the shape): above the shape, over the flow's end there.
    if (!best) {
      best = { place: { x: shape.x + shape.width / 2 - size.width / 2, y: shape.y - GAP - size.height } };
    }
    const delta = { x: Math.round(best.place.x - label.x), y: Math.round(best.place.y - label.y) };
    if (delta.x || delta.y) modeling.moveShape(label, delta);
  }

  function clearLabelsAround(shape) {
    if (!shape || shape.waypoints || shape.labelTarget) return;
    [...(shape.incoming || []), ...(shape.outgoing || [])].forEach((connection) => clearLabel(connection, shape));
  }

  // A new shape dropped on a flow (palette, context pad, API with the flow as parent).
  behavior.postExecuted("shape.create", PRIORITY, ({ context }) => {
    if (context.targetFlow) clearLabelsAround(context.shape);
  });

  // A shape already on the diagram moved onto a flow.
  behavior.postExecuted("elements.move", PRIORITY, ({ context }) => {
    if (context.targetFlow) clearLabelsAround(context.shapes[0]);
  });
}

export const FlowLabelModule = {
  __init__: ["lincahFlowLabelBehavior"],
  lincahFlowLabelBehavior: ["type", FlowLabelBehavior],
};
