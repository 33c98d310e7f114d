// The "Lincah" group of the properties panel: the camunda:properties the engine reads (sla, sla.pause, the
// catalogue of the service), as named fields instead of anonymous name/value pairs.
import { CheckboxEntry, TextFieldEntry, isCheckboxEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

// The page's language: set by modeler.js from the page's configuration before the panel first draws.
const t = (text) => (window.LINCAH_MODELER_TEXT || {})[text] || text;

const TASK_FIELDS = [
  ["sla", "text", "SLA target (e.g. PT4H, P5D)"],
  ["sla.pause", "check", "SLA pauses here (waiting for the applicant)"],
  ["sla.escalate", "text", "On breach, hand over to group"],
  ["calendar", "text", "Calendar (24x7 for plain time)"],
  // the office whose officers work this step, when it is not the service's (a regency's recommendation)
  ["jurisdiction", "text", "Office (code or ${field})"],
];
const PROCESS_FIELDS = [
  ["name.id", "text", "Service name (Indonesian)"],
  ["name.en", "text", "Service name (English)"],
  ["sla", "text", "Whole-file SLA (e.g. P5D)"],
  ["fee", "text", "Fee (0 = free)"],
  ["output.id", "text", "Product (Indonesian)"],
  ["output.en", "text", "Product (English)"],
  ["jurisdiction", "text", "Office (code or ${field})"],
  ["complaints", "text", "Complaints channel"],
  ["legal_basis", "text", "Legal basis"],
  ["public", "check", "Shown in the public catalogue"],
];

function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, "bpmn:Participant")) return bo.processRef;
  return bo;
}

function propertiesOf(bo) {
  const ext = bo && bo.extensionElements;
  return ext && (ext.values || []).find((v) => is(v, "camunda:Properties"));
}

export function getProperty(bo, name) {
  const props = propertiesOf(bo);
  const found = props && (props.values || []).find((p) => p.name === name);
  return found ? found.value : undefined;
}

export function setProperty(injector, element, bo, name, value) {
  const bpmnFactory = injector.get("bpmnFactory");
  const commandStack = injector.get("commandStack");
  const commands = [];
  const empty = value === undefined || value === null || value === "" || value === false;
  let ext = bo.extensionElements;
  let props = propertiesOf(bo);
  let prop = props && (props.values || []).find((p) => p.name === name);
  if (empty && !prop) return;
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: "element.updateModdleProperties",
      context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  if (!props) {
    props = bpmnFactory.create("camunda:Properties", { values: [] });
    props.$parent = ext;
    commands.push({ cmd: "element.updateModdleProperties",
      context: { element, moddleElement: ext, properties: { values: [...(ext.values || []), props] } } });
  }
  const text = value === true ? "true" : String(value);
  if (empty) {
    commands.push({ cmd: "element.updateModdleProperties",
      context: { element, moddleElement: props, properties: { values: props.values.filter((p) => p !== prop) } } });
  } else if (prop) {
    commands.push({ cmd: "element.updateModdleProperties",
      context: { element, moddleElement: prop, properties: { value: text } } });
  } else {
    prop = bpmnFactory.create("camunda:Property", { name, value: text });
    prop.$parent = props;
    commands.push({ cmd: "element.updateModdleProperties",
      context: { element, moddleElement: props, properties: { values: [...(props.values || []), prop] } } });
  }
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

function PropertyEntry(props) {
  const { element, id, name, kind, label } = props;
  const bo = is(element, "bpmn:Participant") ? processOf(element) : getBusinessObject(element);
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const getValue = () => {
    const value = getProperty(bo, name);
    return kind === "check" ? value === "true" : value || "";
  };
  const setValue = (value) => setProperty(injector, element, bo, name, value);
  if (kind === "check") {
    return h(CheckboxEntry, { element, id, label: t(label), getValue, setValue });
  }
  return h(TextFieldEntry, { element, id, label: t(label), getValue, setValue, debounce });
}

// One component per field, made once: a new component on every render would remount the input while typing.
const COMPONENTS = new Map();
function componentFor(name, kind, label, scope) {
  const key = `${scope}:${name}`;
  if (!COMPONENTS.has(key)) {
    COMPONENTS.set(key, (props) => h(PropertyEntry, { ...props, name, kind, label }));
  }
  return COMPONENTS.get(key);
}

function entries(element, bo, fields, scope) {
  return fields.map(([name, kind, label]) => ({
    id: `lincah-${scope}-${name.replace(/\W/g, "-")}`,
    component: componentFor(name, kind, label, scope),
    isEdited: kind === "check" ? isCheckboxEntryEdited : isTextFieldEntryEdited,
    element,
  }));
}

export default function LincahPropertiesProvider(propertiesPanel, translate) {
  this.getGroups = (element) => (groups) => {
    let fields = null;
    let scope = null;
    if (is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask")) {
      fields = TASK_FIELDS;
      scope = "task";
    } else if (is(element, "bpmn:Process") || (is(element, "bpmn:Participant") && processOf(element))) {
      fields = PROCESS_FIELDS;
      scope = "process";
    }
    if (fields) {
      groups.splice(1, 0, { id: "lincah", label: t("Lincah (SLA and catalogue)"), entries: entries(element, null, fields, scope) });
    }
    // The panel's own controls in a group (a section's and a list's buttons, "<empty>") are worded by the
    // translate a group carries, English without one: every group gets the modeler's.
    for (const group of groups) {
      if (!group.translate) group.translate = translate;
    }
    return groups;
  };
  propertiesPanel.registerProvider(400, this);
}
LincahPropertiesProvider.$inject = ["propertiesPanel", "translate"];

export const LincahPropertiesModule = {
  __init__: ["lincahPropertiesProvider"],
  lincahPropertiesProvider: ["type", LincahPropertiesProvider],
};
