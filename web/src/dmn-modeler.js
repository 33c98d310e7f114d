// The analyst's table editor: dmn-js opens a deployed DMN file (or a starter table) straight in its decision table
// view, and the edited file is deployed to the server (multipart "dmn"), which answers with the new versions or
// with problems naming the decision, rule and column. Nothing here decides anything: the server reads the table.
import DmnModeler from "dmn-js/lib/Modeler";
import { translateModule } from "./translate.js";

const config = JSON.parse(document.getElementById("modeler-config").textContent);
const T = config.texts || {};
// Every text comes from the server, translated by the one catalogue (dmn_modeler.py EDITOR_TEXTS).
const t = (text) => T[text] || text;
const $ = (selector) => document.querySelector(selector);

// dmn-js's own words (headings, menus, cell editors) from the catalogue too (dmn_js_texts.py). Each view takes its
// modules from its own options: dmn-js replaces, not merges, the "common" options' additionalModules.
const translated = { additionalModules: [translateModule(config.dmnTexts || {})] };
const modeler = new DmnModeler({
  container: "#dmn-canvas",
  common: { keyboard: { bindTo: window } },
  drd: translated, decisionTable: translated, literalExpression: translated, boxedExpression: translated,
});
window.lincahDmnModeler = modeler;

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
// Each view (table, diagram, literal expression) has a command stack of its own: count edits in any of them.
modeler.on("views.changed", () => {
  const viewer = modeler.getActiveViewer();
  if (!viewer || viewer.lincahCounted) return;
  viewer.lincahCounted = true;
  viewer.on("commandStack.changed", ({ trigger }) => {
    if (trigger === "clear") return;
    changes += 1;
    updateUnsaved();
  });
});

function status(message, kind = "info") {
  const box = $("#modeler-status");
  box.textContent = message;
  box.className = `modeler-status status-${kind}`;
}

// dmn-js quotes what it could not parse: keep its words, not control characters or an endless line.
const readable = (text) => String(text).replace(/\p{Cc}+/gu, " ").slice(0, 300);

async function open(xml) {
  const { warnings } = await modeler.importXML(xml);
  // An analyst comes here for the rules: open the first decision table rather than the requirements diagram.
  const table = modeler.getViews().find((view) => view.type === "decisionTable");
  if (table) await modeler.open(table);
  changes = 0;
  savedAt = 0;
  updateUnsaved();
  document.body.dataset.tableOpened = "true";
  return warnings;
}

// A deploy's problems marked where they are in the table: the rule's row (element_id) and the cell or column
// (cell_id). Written as style rules on dmn-js's own data attributes, so the marks stay while the table re-renders
// and go with the next deploy.
const quoted = (id) => `"${CSS.escape(id)}"`;
function markProblems(problems) {
  const rules = [];
  for (const problem of problems) {
    const kind = problem.severity === "warning" ? "warn" : "error";
    const cell = problem.extra && problem.extra.cell_id;
    if (problem.element_id) {
      rules.push(`#dmn-canvas tr[data-row-id=${quoted(problem.element_id)}] > td { background: var(--${kind}-soft); }`);
    }
    if (cell) {
      rules.push(`#dmn-canvas [data-element-id=${quoted(cell)}], #dmn-canvas th[data-col-id=${quoted(cell)}] `
        + `{ outline: 2px solid var(--${kind}); outline-offset: -2px; }`);
    }
  }
  let style = document.getElementById("problem-marks");
  if (!style) {
    style = document.createElement("style");
    style.id = "problem-marks";
    document.head.append(style);
  }
  style.textContent = rules.join("\n");
}

function showInTable(problem) {
  const cell = problem.extra && problem.extra.cell_id;
  const target = (cell && document.querySelector(`#dmn-canvas [data-element-id=${quoted(cell)}], `
    + `#dmn-canvas th[data-col-id=${quoted(cell)}]`))
    || (problem.element_id && document.querySelector(`#dmn-canvas tr[data-row-id=${quoted(problem.element_id)}]`));
  if (target) target.scrollIntoView({ block: "center", inline: "center" });
}

function showProblems(problems) {
  markProblems(problems);
  const list = $("#problems");
  list.replaceChildren();
  $("#problems-heading").hidden = problems.length === 0;
  for (const problem of problems) {
    const item = document.createElement("li");
    item.className = `problem problem-${problem.severity || "error"}`;
    item.dataset.elementId = problem.element_id || "";
    item.dataset.cellId = (problem.extra && problem.extra.cell_id) || "";
    const kind = document.createElement("strong");
    kind.textContent = `${problem.severity === "warning" ? t("Warning") : t("Error")}`;
    const where = document.createElement("code");
    where.textContent = problem.element_id || problem.file || "";
    const text = document.createElement("span");
    text.className = "problem-message";
    text.textContent = problem.text || problem.message;
    item.append(kind, " ", where, " ", text);
    if (problem.element_id || item.dataset.cellId) {
      const show = document.createElement("button");
      show.type = "button";
      show.className = "button secondary small show-in-table";
      show.textContent = t("Show in the table");
      show.addEventListener("click", () => showInTable(problem));
      item.append(" ", show);
    }
    list.append(item);
  }
}

function showDeployed(decisions) {
  const info = $("#deployed-info");
  info.replaceChildren();
  decisions.forEach((decision, index) => {
    if (index) info.append(", ");
    const link = document.createElement("a");
    link.href = decision.url;
    link.textContent = `${decision.key} v${decision.version}`;
    info.append(link);
  });
}

async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

// Whatever goes wrong (no network, a server error page), the status line says so and the button is back.
async function deploy() {
  const button = $("#deploy");
  button.disabled = true;
  status(t("Deploying…"));
  const deploying = changes;
  try {
    const body = new FormData();
    body.append("dmn", new Blob([await currentXml()], { type: "application/xml" }), config.fileName);
    const response = await fetch(config.deployUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRF-Token": config.csrf, Accept: "application/json" },
    });
    let payload;
    try { payload = await response.json(); } catch { payload = { message: response.statusText }; }
    showProblems(payload.problems || []);
    if (!response.ok || !payload.decisions) {
      status(payload.message || t("Not deployed."), "error");
      return;
    }
    showDeployed(payload.decisions);
    savedAt = deploying;
    updateUnsaved();
    status(payload.message, "success");
  } catch (error) {
    status(`${t("Not deployed.")} ${readable(error.message)}`, "error");
  } finally {
    button.disabled = false;
  }
}

async function download() {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([await currentXml()], { type: "application/xml" }));
  link.download = config.fileName;
  link.click();
  URL.revokeObjectURL(link.href);
}

$("#deploy").addEventListener("click", deploy);
$("#download").addEventListener("click", download);
$("#import-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    await open(await file.text());
    config.fileName = file.name.toLowerCase().endsWith(".dmn") ? file.name : `${file.name}.dmn`;
    status(t("Table opened."), "success");
  } catch (error) {
    status(`${t("This file is not a DMN file the editor can read: ")}${readable(error.message)}`, "error");
  } finally {
    event.target.value = "";
  }
});

fetch(config.xmlUrl, { credentials: "same-origin" })
  .then((response) => response.text())
  .then(open)
  .then(() => status(t("Table opened."), "success"))
  .catch((error) => status(`${t("This file is not a DMN file the editor can read: ")}${readable(error.message)}`,
    "error"));
