// The analyst's modeler: bpmn-js Modeler with the properties panel (Camunda 7 moddle: formKey, candidateGroups,
// assignee, camunda:properties) and the Lincah group; deploy as draft to the server, show its lint problems on
// the elements they name, publish when clean.
import Modeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import { layoutProcess } from "bpmn-auto-layout";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import { LincahPropertiesModule } from "./lincah-provider.js";
import { PadMenusModule } from "./pad-menus.js";
import { FlowLabelModule } from "./label-behavior.js";
import { translateModule } from "./translate.js";

const config = JSON.parse(document.getElementById("modeler-config").textContent);
const T = config.texts || {};
// Every text of the modeler comes from the server, translated by the one catalogue (analyst.py MODELER_TEXTS).
const t = (text) => T[text] || text;
window.LINCAH_MODELER_TEXT = T;
const $ = (selector) => document.querySelector(selector);

const modeler = new Modeler({
  container: "#canvas",
  propertiesPanel: { parent: "#properties" },
  additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
    CamundaPlatformPropertiesProviderModule, LincahPropertiesModule, PadMenusModule, FlowLabelModule,
    translateModule(config.bpmnTexts || {})],
  moddleExtensions: { camunda: camundaModdle },
});
window.lincahModeler = modeler;

let marked = [];
let deployed = null;

// Unsaved work: edits (commands done, undone or redone) since the diagram was opened or last deployed. The page
// asks before it is left while there are any.
let changes = 0;
let savedAt = 0;
const warnBeforeLeaving = (event) => {
  event.preventDefault();
  event.returnValue = "";
};
function updateUnsaved() {
  const unsaved = changes !== savedAt;
  document.body.dataset.unsavedChanges = String(unsaved);
  if (unsaved) window.addEventListener("beforeunload", warnBeforeLeaving);
  else window.removeEventListener("beforeunload", warnBeforeLeaving);
}
modeler.on("commandStack.changed", ({ trigger }) => {
  if (trigger === "clear") return; // an import starts a new command stack; open() decides what that means
  changes += 1;
  updateUnsaved();
  showDiagramName();
  lintSoon();
});

// Lint while drawing: a moment after the last change the diagram goes to the server's lint (nothing is deployed)
// and its problems are shown on the elements, as a deploy would show them. A newer change cancels an older answer.
const LINT_DELAY_MS = 1200;
let lintTimer = null;
let lintRound = 0;
function lintSoon() {
  if (!config.lintUrl) return;
  window.clearTimeout(lintTimer);
  lintTimer = window.setTimeout(lintNow, LINT_DELAY_MS);
}
async function lintNow() {
  const round = ++lintRound;
  try {
    let body;
    if (folder) {
      body = await folderBody("lint");
    } else {
      body = new FormData();
      body.append("bpmn", new Blob([await currentXml()], { type: "application/xml" }), `${processId()}.bpmn`);
      if (config.basedOn) body.append("based_on", config.basedOn);
    }
    const { ok, payload } = await post(folder ? config.folderUrl : config.lintUrl, body);
    if (round !== lintRound || !ok) return;
    showProblems(payload.problems || []);
    const live = $("#live-lint");
    if (live) {
      live.textContent = payload.errors
        ? t("Checked while drawing, errors: ") + payload.errors
        : t("Checked while drawing: no problems.");
      live.dataset.errors = String(payload.errors || 0);
    }
  } catch {
    // Offline or the server is busy: the next change (or the deploy) checks again.
  }
}

// The page's heading and the tab's title name the diagram being edited, not the template it started from.
function showDiagramName() {
  if (config.basedOn) return; // a deployed version keeps "key vN"
  const definitions = modeler.getDefinitions();
  const processes = ((definitions && definitions.rootElements) || []).filter((e) => e.$type === "bpmn:Process");
  const executable = processes.find((p) => p.isExecutable) || processes[0];
  const heading = $("#modeler-title");
  if (!executable || !heading) return;
  const name = executable.name || executable.id;
  document.title = document.title.replace(heading.textContent, name);
  heading.textContent = name;
}
function markSaved(at = changes) {
  savedAt = at;
  updateUnsaved();
}

function status(message, kind = "info") {
  const box = $("#modeler-status");
  box.textContent = message;
  box.className = `modeler-status status-${kind}`;
}

const DI_NAMESPACE = "http://www.omg.org/spec/BPMN/20100524/DI";

// A diagram without layout (no BPMNDiagram: written by a tool or by hand) is valid BPMN that bpmn-js cannot draw;
// bpmn-auto-layout draws it left to right. Anything else goes to bpmn-js as it is, and bpmn-js says what is wrong.
function lacksLayout(xml) {
  const document = new DOMParser().parseFromString(xml, "application/xml");
  if (document.getElementsByTagName("parsererror").length) return false;
  return document.getElementsByTagNameNS(DI_NAMESPACE, "BPMNDiagram").length === 0;
}

async function show(xml) {
  const { warnings } = await modeler.importXML(xml);
  modeler.get("canvas").zoom("fit-viewport", "auto");
  return warnings;
}

// bpmn-js quotes what it could not parse: keep its words, not control characters or an endless line.
function readable(message) {
  // eslint-disable-next-line no-control-regex -- removing control characters is this function's job
  const clean = String(message).replace(/[\u0000-\u001F\u007F\uFFFD]+/g, " ").replace(/\s+/g, " ").trim();
  return clean.length > 240 ? `${clean.slice(0, 240)}…` : clean;
}

// Opens a diagram; when it cannot be opened the diagram that was there comes back, with its unsaved edits.
async function open(xml) {
  const previous = modeler.getDefinitions() ? await currentXml() : null;
  let laidOut = false;
  try {
    if (lacksLayout(xml)) {
      xml = await layoutProcess(xml);
      laidOut = true;
    }
    const warnings = await show(xml);
    clearProblems();
    showStarterForms([]);
    setDeployed(null);
    markSaved();
    let message = warnings.length ? t("Opened, with import warnings: ") + warnings.length : t("Diagram opened.");
    if (laidOut) message += " " + t("The file had no layout: the modeler laid it out; check it before deploying.");
    status(message, laidOut ? "warning" : "info");
    showDiagramName();
    lintSoon();
    document.body.dataset.modelerReady = "true";
    return true;
  } catch (error) {
    if (previous) await show(previous);
    status(t("This file is not a BPMN diagram this modeler can read: ") + readable(error.message), "error");
    return false;
  }
}

function processId() {
  const definitions = modeler.getDefinitions();
  const processes = (definitions.rootElements || []).filter((e) => e.$type === "bpmn:Process");
  const executable = processes.find((p) => p.isExecutable) || processes[0];
  return executable ? executable.id : "diagram";
}

async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

function clearProblems() {
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  for (const [id, marker] of marked) canvas.removeMarker(id, marker);
  overlays.remove({ type: "lincah-problem" });
  marked = [];
  $("#problems").replaceChildren();
  $("#problems-heading").hidden = true;
  $("#starter-forms-hint").hidden = true;
}

// A diagram whose only errors are forms nobody has written yet can deploy with a starter form for each: the
// analyst who works only on the web has no forms folder, and the form editor edits only forms a version has.
function starterFormButton() {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button secondary small starter-form-button";
  button.textContent = t("Create starter form");
  button.addEventListener("click", () => deploy({ createMissingForms: true }));
  return button;
}

function showStarterForms(forms) {
  const list = $("#starter-forms");
  list.replaceChildren();
  for (const form of forms) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = form.edit_url;
    link.textContent = `${t("Edit form")} ${form.key}`;
    link.dataset.formKey = form.key;
    item.append(link);
    list.append(item);
  }
  list.hidden = forms.length === 0;
}

function selectElement(id) {
  const element = modeler.get("elementRegistry").get(id);
  if (!element) return;
  modeler.get("selection").select(element);
  modeler.get("canvas").scrollToElement(element);
}

function showProblems(problems) {
  clearProblems();
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  const list = $("#problems");
  const counts = new Map();
  const errors = problems.filter((problem) => problem.severity === "error");
  // A folder brings its own forms: starter forms are for a diagram drawn here.
  const onlyFormsMissing = !folder && errors.length > 0 && errors.every((problem) => problem.code === "form_missing");
  for (const problem of problems) {
    const item = document.createElement("li");
    item.className = `problem problem-${problem.severity}`;
    item.dataset.elementId = problem.element_id || "";
    // In a model folder a problem may be in another of its files: named by file, not marked on this diagram.
    const elsewhere = Boolean(folder && problem.file && problem.file !== folder.primary);
    item.dataset.file = problem.file || "";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "problem-link";
    let where = problem.element_id ? `${problem.element_id}` : (problem.line ? `${t("line")} ${problem.line}` : "");
    if (folder && problem.file) where = where ? `${problem.file} › ${where}` : problem.file;
    const label = problem.severity === "error" ? t("Error") : problem.severity === "info" ? t("Note") : t("Warning");
    const text = (config.lang === "id" && problem.message_id) ? problem.message_id : problem.message;
    button.innerHTML = "";
    const badge = document.createElement("span");
    badge.className = `badge sla-${problem.severity === "error" ? "breached" : "at_risk"}`;
    badge.textContent = label;
    const code = document.createElement("code");
    code.textContent = where;
    const message = document.createElement("span");
    message.className = "problem-message";
    message.textContent = text;
    button.append(badge, " ", code, " ", message);
    if (!elsewhere && problem.element_id && registry.get(problem.element_id)) {
      button.addEventListener("click", () => selectElement(problem.element_id));
    } else {
      button.disabled = true;
    }
    item.append(button);
    if (onlyFormsMissing && problem.code === "form_missing") item.append(" ", starterFormButton());
    list.append(item);
    const id = elsewhere ? null : problem.element_id;
    if (id && registry.get(id)) {
      const marker = problem.severity === "error" ? "lincah-problem-error" : "lincah-problem-warning";
      canvas.addMarker(id, marker);
      marked.push([id, marker]);
      counts.set(id, (counts.get(id) || 0) + 1);
      if (counts.get(id) === 1) {
        overlays.add(id, "lincah-problem", {
          position: { top: -10, right: 10 },
          html: `<span class="lincah-problem-badge lincah-problem-badge-${problem.severity}" title="${
            text.replace(/"/g, "&quot;")}">!</span>`,
        });
      }
    }
  }
  $("#problems-heading").hidden = problems.length === 0;
  $("#starter-forms-hint").hidden = !onlyFormsMissing;
}

function setDeployed(definition) {
  deployed = definition;
  const publish = $("#publish");
  publish.hidden = !(definition && definition.status === "draft");
  const info = $("#deployed-info");
  info.replaceChildren();
  if (definition) {
    const link = document.createElement("a");
    link.href = definition.url;
    link.textContent = `${definition.key} v${definition.version} (${definition.status_label})`;
    info.append(link);
  }
}

// After a deploy the page is about the new version: its heading, the tab's title, and the address (a reload
// opens the version just deployed).
function showVersion(definition) {
  const title = `${definition.key} v${definition.version}`;
  const heading = $("#modeler-title");
  if (heading) {
    document.title = document.title.replace(heading.textContent, title);
    heading.textContent = title;
  }
  const url = new URL(window.location.href);
  url.search = new URLSearchParams({ key: definition.key, version: definition.version }).toString();
  window.history.replaceState(null, "", url);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", body, headers: { "X-CSRF-Token": config.csrf, Accept: "application/json" },
    credentials: "same-origin",
  });
  let payload;
  try { payload = await response.json(); } catch { payload = { message: response.statusText }; }
  return { ok: response.ok, status: response.status, payload };
}

// Whatever goes wrong (no diagram, no network, a server error page), the status line says so and the button is
// back: a deploy never hangs on "Deploying…".
async function deploy({ createMissingForms = false } = {}) {
  const button = $("#deploy");
  button.disabled = true;
  for (const starter of document.querySelectorAll(".starter-form-button")) starter.disabled = true;
  status(t("Deploying…"));
  showStarterForms([]);
  const deploying = changes;
  try {
    const body = folder ? await folderBody("deploy") : new FormData();
    if (!folder) {
      body.append("bpmn", new Blob([await currentXml()], { type: "application/xml" }), `${processId()}.bpmn`);
      if (config.basedOn) body.append("based_on", config.basedOn);
      // The version this diagram was opened from (or last deployed as): the server says when colleagues have
      // deployed newer ones meanwhile, whose changes this draft does not have.
      if (config.basedOnVersion) body.append("based_on_version", config.basedOnVersion);
      if (createMissingForms) body.append("create_missing_forms", "1");
    }
    const { ok, payload } = await post(folder ? config.folderUrl : config.deployUrl, body);
    showProblems(payload.problems || []);
    if (!ok || !payload.definition) {
      setDeployed(null);
      status(payload.message || t("Not deployed."), "error");
      return;
    }
    setDeployed(payload.definition);
    showVersion(payload.definition);
    markSaved(deploying);
    config.basedOn = payload.definition.key;
    config.basedOnVersion = payload.definition.version;
    const warned = (payload.problems || []).length || (payload.meanwhile || []).length;
    status(payload.message, warned ? "warning" : "success");
    showStarterForms(payload.starter_forms || []);
  } catch (error) {
    status(`${t("Not deployed.")} ${error.message}`, "error");
  } finally {
    button.disabled = false;
    for (const starter of document.querySelectorAll(".starter-form-button")) starter.disabled = false;
  }
}

async function publish() {
  if (!deployed) return;
  const { ok, payload } = await post(deployed.publish_url, new FormData());
  if (!ok) {
    status(payload.message || t("Not published."), "error");
    return;
  }
  setDeployed(payload.definition);
  status(payload.message, "success");
}

function download(content, filename, type) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([content], { type }));
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
}

// XML starts with "<" (after a byte-order mark and blanks) and is text: a picture, a PDF or an office document
// is not, and its bytes are no use in a message.
function looksLikeXml(text) {
  const start = text.replace(/^\uFEFF/, "").trimStart().slice(0, 2048);
  // eslint-disable-next-line no-control-regex -- a control character is what tells binary from text here
  return start.startsWith("<") && !/[\u0000-\u0008\u000E-\u001F\uFFFD]/.test(start);
}

$("#import-file").addEventListener("change", async (event) => {
  const [file] = event.target.files;
  event.target.value = "";
  if (!file) return;
  const text = await file.text();
  if (!looksLikeXml(text)) {
    status(t("“{name}” is not a BPMN XML file. Choose a .bpmn file saved from a BPMN modeler (such as Camunda "
      + "Modeler or “Download .bpmn” here); the diagram on the page is unchanged.").replace("{name}", file.name),
    "error");
    return;
  }
  const was = folder;
  folder = null;
  if (await open(text)) showFolder();
  else folder = was;
});
// A model folder (spiff-arena's layout: diagrams that call each other, their DMN tables and JSON forms) opened
// from the disk or as a .zip: the server names its primary diagram, which is drawn here; lint and deploy send the
// whole folder with the primary diagram as drawn, so the folder deploys as one unit. The bounds are the server's.
let folder = null; // { name, files: [File] } or { name, zip: File }; primary: the file drawn
const FOLDER_KINDS = /\.(bpmn|dmn|json)$/i;
const MEGABYTE = 1024 * 1024;

async function folderBody(action) {
  const body = new FormData();
  body.append("action", action);
  body.append("folder", folder.name);
  if (folder.zip) body.append("model", folder.zip, folder.zip.name);
  else for (const file of folder.files) body.append("files", file, file.name);
  if (folder.primary && action !== "open") {
    body.append("primary", new Blob([await currentXml()], { type: "application/xml" }), folder.primary);
  }
  return body;
}

// What the browser gives for <input webkitdirectory>: every file under the folder, named "folder/sub/x.bpmn". A
// model folder is flat: its own diagrams, tables and forms; sub-folders are other models, other kinds not models.
function chosenFolder(fileList) {
  const all = [...fileList];
  const name = ((all[0] && all[0].webkitRelativePath) || "").split("/")[0] || "model";
  const files = all.filter((file) => (file.webkitRelativePath || file.name).split("/").length <= 2
    && FOLDER_KINDS.test(file.name));
  return { name, files };
}

// Said before anything is sent: the server refuses the same, but only after the upload.
function folderRefusal({ files, zip }) {
  const limits = config.folderLimits;
  if (zip) {
    return zip.size > limits.zipBytes
      ? t("{name} is larger than {limit} MB; a zipped model folder may hold at most that.")
        .replace("{name}", zip.name).replace("{limit}", limits.zipBytes / MEGABYTE) : null;
  }
  if (!files.length) return t("The folder holds no .bpmn, .dmn or .json file; choose the model's own folder.");
  if (files.length > limits.files) {
    return t("The folder holds {count} diagrams, tables and forms; a model folder may hold at most {limit}.")
      .replace("{count}", files.length).replace("{limit}", limits.files);
  }
  const large = files.find((file) => file.size > limits.fileBytes);
  if (large) {
    return t("{name} is larger than {limit} MB; each file of a model folder may hold at most that.")
      .replace("{name}", large.name).replace("{limit}", limits.fileBytes / MEGABYTE);
  }
  if (files.reduce((sum, file) => sum + file.size, 0) > limits.totalBytes) {
    return t("The folder's files together are larger than {limit} MB; a model folder may hold at most that.")
      .replace("{limit}", limits.totalBytes / MEGABYTE);
  }
  return null;
}

function showFolder(payload) {
  const info = $("#model-folder-info");
  if (!info) return;
  info.hidden = !folder;
  info.textContent = folder ? t("Model folder {folder}: {primary} drawn, deployed with {files}.")
    .replace("{folder}", folder.name).replace("{primary}", folder.primary)
    .replace("{files}", (payload.files || []).filter((name) => name !== folder.primary).join(", ") || "–") : "";
}

async function openFolder(chosen) {
  const refusal = folderRefusal(chosen);
  if (refusal) {
    status(refusal, "error");
    return;
  }
  const was = folder;
  folder = { ...chosen, primary: null };
  status(t("Opening the model folder…"));
  try {
    const { payload } = await post(config.folderUrl, await folderBody("open"));
    if (!payload.xml) throw Object.assign(new Error(payload.message || t("Not deployed.")), { payload });
    folder.primary = payload.primary;
    config.basedOn = null; // the folder is its own service: not a new version of the one opened before
    config.basedOnVersion = null;
    if (!(await open(payload.xml))) throw new Error(t("This file is not a BPMN diagram this modeler can read: "));
    showFolder(payload);
    showProblems(payload.problems || []);
    status(`${t("Model folder opened: ")}${folder.name} (${payload.primary}). ${payload.errors
      ? t("Checked while drawing, errors: ") + payload.errors : t("Checked while drawing: no problems.")}`,
    payload.errors ? "warning" : "info");
  } catch (error) {
    folder = was;
    if (error.payload) showProblems(error.payload.problems || []);
    status(readable(error.message), "error");
  }
}

if ($("#import-folder")) {
  $("#import-folder").addEventListener("change", async (event) => {
    const chosen = chosenFolder(event.target.files);
    event.target.value = "";
    await openFolder(chosen);
  });
  $("#import-folder-zip").addEventListener("change", async (event) => {
    const [zip] = event.target.files;
    event.target.value = "";
    if (zip) await openFolder({ name: zip.name.replace(/\.zip$/i, ""), zip });
  });
}
$("#download").addEventListener("click", async () => download(await currentXml(), `${processId()}.bpmn`,
  "application/xml"));
$("#download-svg").addEventListener("click", async () => {
  const { svg } = await modeler.saveSVG();
  download(svg, `${processId()}.svg`, "image/svg+xml");
});
$("#deploy").addEventListener("click", () => deploy());
$("#publish").addEventListener("click", publish);

fetch(config.xmlUrl, { credentials: "same-origin" })
  .then((response) => response.text())
  .then(open);
