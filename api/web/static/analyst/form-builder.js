// The form builder above the form editor's JSON: one row per field (name, title, kind, required, choices) that
// writes the JSON Schema and the UI schema in the text areas below — which stay the source of truth, editable by
// hand, and previewed by the product's renderer as before. Whatever a field says beyond what a row shows (patterns,
// lengths, descriptions, conditions, nested groups) is kept as it is; a field the builder cannot show is listed as
// "advanced" and left to the JSON.
(function () {
  "use strict";

  var NAME = /^[a-z][a-z0-9_]{0,62}$/;
  var KINDS = ["text", "longtext", "number", "yesno", "date", "email", "choice", "file"];
  var builder = document.getElementById("form-builder");
  var schemaBox = document.getElementById("schema");
  var uiBox = document.getElementById("ui_schema");
  if (!builder || !schemaBox || !uiBox) { return; }
  var texts = JSON.parse(builder.getAttribute("data-texts") || "{}");
  function t(text) { return texts[text] || text; }

  function parse(text, fallback) {
    if (!text.trim()) { return fallback; }
    try { return JSON.parse(text); } catch { return null; }
  }

  function kindOf(field, ui) {
    if (!field || typeof field !== "object") { return "advanced"; }
    if (field.type === "object") { return field.format === "attachment" ? "file" : "advanced"; }
    if (field.type === "boolean") { return "yesno"; }
    if (field.type === "number" || field.type === "integer") { return "number"; }
    if (field.type !== "string") { return "advanced"; }
    if (field.oneOf || field["enum"]) { return "choice"; }
    if (field.format === "date") { return "date"; }
    if (field.format === "email") { return "email"; }
    if (ui && ui["ui:widget"] === "textarea") { return "longtext"; }
    return field.format ? "advanced" : "text";
  }

  function choicesText(field) {
    if (field.oneOf) {
      return field.oneOf.map(function (c) { return c.title && c.title !== c["const"] ? c["const"] + ": " + c.title : c["const"]; }).join("\n");
    }
    return (field["enum"] || []).join("\n");
  }

  function slug(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "") || "pilihan";
  }

  function choices(text) {
    return text.split("\n").map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
      var at = line.indexOf(":");
      return at > 0 ? { "const": line.slice(0, at).trim(), title: line.slice(at + 1).trim() }
                    : { "const": slug(line), title: line };
    });
  }

  // The field's schema for the row's kind: what the kind decides is set, everything else the field had is kept.
  function shaped(kind, field, row) {
    var out = Object.assign({}, field || {});
    ["type", "format", "oneOf", "enum", "x-accept", "x-max-size", "const"].forEach(function (key) { delete out[key]; });
    if (row.title) { out.title = row.title; } else { delete out.title; }
    if (kind === "number") { out.type = field && field.type === "integer" ? "integer" : "number"; }
    else if (kind === "yesno") { out.type = "boolean"; }
    else if (kind === "file") {
      out.type = "object"; out.format = "attachment";
      out["x-accept"] = (field && field["x-accept"]) || ["application/pdf"];
      out["x-max-size"] = (field && field["x-max-size"]) || 5242880;
    } else {
      out.type = "string";
      if (kind === "date" || kind === "email") { out.format = kind; }
      if (kind === "choice") { out.oneOf = choices(row.choices); }
      if (kind === "longtext" && !out.maxLength) { out.maxLength = 2000; }
    }
    if (kind !== "text" && kind !== "longtext" && kind !== "email") {
      ["minLength", "maxLength", "pattern"].forEach(function (key) { delete out[key]; });
    }
    return out;
  }

  var state = { schema: null, ui: null };

  function read() {
    var schema = parse(schemaBox.value, { type: "object", properties: {} });
    var ui = parse(uiBox.value, {});
    if (!schema || typeof schema !== "object" || !ui || typeof ui !== "object") { return false; }
    schema.properties = schema.properties || {};
    state.schema = schema;
    state.ui = ui;
    return true;
  }

  function order() {
    var names = Object.keys(state.schema.properties);
    var listed = Array.isArray(state.ui["ui:order"]) ? state.ui["ui:order"] : [];
    return listed.filter(function (n) { return names.indexOf(n) >= 0; })
      .concat(names.filter(function (n) { return listed.indexOf(n) < 0; }));
  }

  function option(value, label, selected) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    element.selected = selected;
    return element;
  }

  function render() {
    var body = builder.querySelector("tbody");
    body.replaceChildren();
    var required = state.schema.required || [];
    order().forEach(function (name) {
      var field = state.schema.properties[name];
      body.appendChild(row(name, field, kindOf(field, state.ui[name]), required.indexOf(name) >= 0));
    });
    builder.setAttribute("data-ready", "true");
  }

  function row(name, field, kind, isRequired) {
    var tr = document.createElement("tr");
    tr.className = "builder-field";
    tr.dataset.original = name;
    tr.dataset.kind = kind;
    var cells = [];
    var nameInput = document.createElement("input");
    nameInput.className = "builder-name code";
    nameInput.value = name;
    nameInput.setAttribute("aria-label", t("Field name"));
    cells.push(nameInput);
    var titleInput = document.createElement("input");
    titleInput.className = "builder-title";
    titleInput.value = (field && field.title) || "";
    titleInput.setAttribute("aria-label", t("Label"));
    cells.push(titleInput);
    var kindSelect = document.createElement("select");
    kindSelect.className = "builder-kind";
    kindSelect.setAttribute("aria-label", t("Kind"));
    if (kind === "advanced") {
      kindSelect.appendChild(option("advanced", t("advanced (edit the JSON)"), true));
      kindSelect.disabled = true;
    } else {
      KINDS.forEach(function (k) { kindSelect.appendChild(option(k, t("kind:" + k), k === kind)); });
    }
    cells.push(kindSelect);
    var requiredBox = document.createElement("input");
    requiredBox.type = "checkbox";
    requiredBox.className = "builder-required";
    requiredBox.checked = isRequired;
    requiredBox.setAttribute("aria-label", t("Required"));
    cells.push(requiredBox);
    var choicesArea = document.createElement("textarea");
    choicesArea.className = "builder-choices";
    choicesArea.rows = 2;
    choicesArea.value = kind === "choice" ? choicesText(field) : "";
    choicesArea.hidden = kind !== "choice";
    choicesArea.placeholder = t("One per line; value: label");
    choicesArea.setAttribute("aria-label", t("Choices"));
    cells.push(choicesArea);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button small secondary builder-remove";
    remove.textContent = t("Remove");
    remove.addEventListener("click", function () { tr.remove(); write(); });
    cells.push(remove);
    cells.forEach(function (cell) {
      var td = document.createElement("td");
      td.appendChild(cell);
      tr.appendChild(td);
    });
    kindSelect.addEventListener("change", function () {
      choicesArea.hidden = kindSelect.value !== "choice";
      write();
    });
    [nameInput, titleInput, requiredBox, choicesArea].forEach(function (input) {
      input.addEventListener("change", write);
    });
    return tr;
  }

  // The rows as JSON Schema and UI schema, written into the text areas (which the preview watches).
  function write() {
    var rows = Array.prototype.slice.call(builder.querySelectorAll("tr.builder-field"));
    var properties = {};
    var required = [];
    var ui = Object.assign({}, state.ui);
    var problem = "";
    rows.forEach(function (tr) {
      var name = tr.querySelector(".builder-name").value.trim();
      var original = tr.dataset.original;
      var field = original ? state.schema.properties[original] : null;
      var kind = tr.querySelector(".builder-kind").value;
      tr.classList.toggle("builder-invalid", !NAME.test(name) || Object.prototype.hasOwnProperty.call(properties, name));
      if (!NAME.test(name)) { problem = t("A field name is lower-case letters, digits and _, starting with a letter: ") + name; return; }
      if (Object.prototype.hasOwnProperty.call(properties, name)) { problem = t("Two fields are named ") + name; return; }
      properties[name] = kind === "advanced" ? field : shaped(kind, field, {
        title: tr.querySelector(".builder-title").value.trim(),
        choices: tr.querySelector(".builder-choices").value,
      });
      if (tr.querySelector(".builder-required").checked) { required.push(name); }
      var own = Object.assign({}, (original && state.ui[original]) || {});
      if (kind === "longtext") { own["ui:widget"] = "textarea"; } else if (own["ui:widget"] === "textarea") { delete own["ui:widget"]; }
      if (original && original !== name) { delete ui[original]; }
      if (Object.keys(own).length) { ui[name] = own; } else { delete ui[name]; }
      tr.dataset.original = name;
    });
    var status = builder.querySelector(".builder-status");
    status.textContent = problem;
    if (problem) { return; }
    Object.keys(state.schema.properties).forEach(function (old) {
      if (!Object.prototype.hasOwnProperty.call(properties, old) && ui[old] !== undefined) { delete ui[old]; }
    });
    var schema = Object.assign({}, state.schema, { properties: properties });
    if (required.length) { schema.required = required; } else { delete schema.required; }
    if (Array.isArray(state.ui["ui:order"]) || rows.length) { ui["ui:order"] = Object.keys(properties); }
    state.schema = schema;
    state.ui = ui;
    schemaBox.value = JSON.stringify(schema, null, 2);
    uiBox.value = JSON.stringify(ui, null, 2);
    // The preview (htmx) redraws on input from the text areas.
    schemaBox.dispatchEvent(new Event("input", { bubbles: true }));
  }

  builder.querySelector(".builder-add").addEventListener("click", function () {
    var body = builder.querySelector("tbody");
    var taken = Object.keys(state.schema.properties);
    var n = 1;
    while (taken.indexOf("field_" + n) >= 0) { n += 1; }
    var tr = row("field_" + n, null, "text", false);
    tr.dataset.original = "";
    body.appendChild(tr);
    write();
    tr.querySelector(".builder-name").focus();
  });

  // Hand edits of the JSON win: when they parse, the rows follow them.
  [schemaBox, uiBox].forEach(function (box) {
    box.addEventListener("change", function () { if (read()) { render(); } });
  });

  if (read()) { render(); } else {
    builder.querySelector(".builder-status").textContent = t("The JSON below does not parse: fix it there first.");
  }
})();
