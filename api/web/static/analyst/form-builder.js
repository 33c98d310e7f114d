// The form builder above the form editor's JSON: one row per field (name, title, kind, required, choices), groups of
// fields (an object property: its own rows, one level deep), and conditions ("require field X when field Y equals
// V"), all written into the JSON Schema and the UI schema in the text areas below — which stay the source of truth,
// editable by hand, and previewed by the product's renderer as before. Whatever a field says beyond what a row shows
// (patterns, lengths, descriptions) is kept as it is; a field the builder cannot show is "advanced" and left to the
// JSON, and so is every other construct, listed under "kept from the JSON".
//
// Conditions only *require*: the product's renderer (api/web/forms.py) has no "show when" in the UI schema, and the
// server validates the JSON Schema (jsonschema, if/then), so requiring is what both the form and the server honour.
(function () {
  "use strict";

  var NAME = /^[a-z][a-z0-9_]{0,62}$/;
  var FIELD_KINDS = ["text", "longtext", "number", "yesno", "date", "email", "choice", "file"];
  var KINDS = FIELD_KINDS.concat(["group"]); // a group only at the top: one level deep
  // Kinds a condition can look at: a value the applicant types or picks, compared with `const`.
  var COMPARABLE = ["text", "number", "yesno", "date", "email", "choice"];
  // Keys of the form's schema the builder writes (or that say nothing to edit); any other is kept and listed.
  var SHOWN = ["$schema", "$id", "type", "properties", "required", "allOf"];
  var builder = document.getElementById("form-builder");
  var schemaBox = document.getElementById("schema");
  var uiBox = document.getElementById("ui_schema");
  if (!builder || !schemaBox || !uiBox) { return; }
  var texts = JSON.parse(builder.getAttribute("data-texts") || "{}");
  function t(text) { return texts[text] || text; }
  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }
  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  function parse(text, fallback) {
    if (!text.trim()) { return fallback; }
    try { return JSON.parse(text); } catch { return null; }
  }

  function kindOf(field, ui, nested) {
    if (!isObject(field)) { return "advanced"; }
    if (field.type === "object") {
      if (field.format === "attachment") { return "file"; }
      return !nested && isObject(field.properties || {}) ? "group" : "advanced";
    }
    if (field.type === "boolean") { return "yesno"; }
    if (field.type === "number" || field.type === "integer") { return "number"; }
    if (field.type !== "string") { return "advanced"; }
    if (field.oneOf || field["enum"]) { return "choice"; }
    if (field.format === "date") { return "date"; }
    if (field.format === "email") { return "email"; }
    if (ui && ui["ui:widget"] === "textarea") { return "longtext"; }
    return field.format ? "advanced" : "text";
  }

  // [{value, title}] of a choice field (oneOf of const, or enum); empty for any other.
  function optionsOf(field) {
    if (!isObject(field)) { return []; }
    if (Array.isArray(field.oneOf)) {
      return field.oneOf.filter(function (c) { return isObject(c) && has(c, "const"); })
        .map(function (c) { return { value: c["const"], title: c.title || String(c["const"]) }; });
    }
    return (Array.isArray(field["enum"]) ? field["enum"] : []).map(function (v) { return { value: v, title: String(v) }; });
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
    if (kind !== "group") { delete out.properties; delete out.required; }
    if (row.title) { out.title = row.title; } else { delete out.title; }
    if (kind === "number") { out.type = field && field.type === "integer" ? "integer" : "number"; }
    else if (kind === "yesno") { out.type = "boolean"; }
    else if (kind === "group") { out.type = "object"; out.properties = out.properties || {}; }
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

  // --- conditions: allOf entries of the one shape a row shows -------------------------------------------------
  // {"if": {"properties": {Y: {"const": V}}, "required": [Y]}, "then": {"required": [X, …]}}. The "required" in
  // "if" matters: without it the condition also holds when Y is not given at all (JSON Schema's vacuous truth).

  function conditionsIn(entry) {
    if (!isObject(entry) || Object.keys(entry).sort().join() !== "if,then") { return null; }
    var cond = entry["if"];
    var then = entry.then;
    if (!isObject(cond) || !isObject(then) || Object.keys(cond).sort().join() !== "properties,required") { return null; }
    if (Object.keys(then).join() !== "required" || !Array.isArray(then.required) || !then.required.length) { return null; }
    var watched = Object.keys(cond.properties || {});
    if (watched.length !== 1 || !Array.isArray(cond.required) || cond.required.join() !== watched[0]) { return null; }
    var test = cond.properties[watched[0]];
    if (!isObject(test) || Object.keys(test).join() !== "const") { return null; }
    if (then.required.some(function (x) { return typeof x !== "string"; })) { return null; }
    return then.required.map(function (x) { return { field: x, when: watched[0], value: test["const"] }; });
  }

  function entriesOf(conditions) {
    var byTest = {};
    var entries = [];
    conditions.forEach(function (c) {
      var key = JSON.stringify([c.when, c.value]);
      if (!byTest[key]) {
        var properties = {};
        properties[c.when] = { "const": c.value };
        byTest[key] = { "if": { properties: properties, required: [c.when] }, then: { required: [] } };
        entries.push(byTest[key]);
      }
      if (byTest[key].then.required.indexOf(c.field) < 0) { byTest[key].then.required.push(c.field); }
    });
    return entries;
  }

  var state = { schema: null, ui: null, conditions: [], keptAllOf: [] };

  function read() {
    var schema = parse(schemaBox.value, { type: "object", properties: {} });
    var ui = parse(uiBox.value, {});
    if (!isObject(schema) || !isObject(ui)) { return false; }
    schema.properties = isObject(schema.properties) ? schema.properties : {};
    state.schema = schema;
    state.ui = ui;
    state.conditions = [];
    state.keptAllOf = [];
    (Array.isArray(schema.allOf) ? schema.allOf : []).forEach(function (entry) {
      var found = conditionsIn(entry);
      if (found) { state.conditions = state.conditions.concat(found); } else { state.keptAllOf.push(entry); }
    });
    return true;
  }

  function order(schema, ui) {
    var names = Object.keys(schema.properties || {});
    var listed = isObject(ui) && Array.isArray(ui["ui:order"]) ? ui["ui:order"] : [];
    return listed.filter(function (n) { return names.indexOf(n) >= 0; })
      .concat(names.filter(function (n) { return listed.indexOf(n) < 0; }));
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text !== undefined) { made.textContent = text; }
    return made;
  }

  function option(value, label, selected) {
    var made = element("option", "", label);
    made.value = value;
    made.selected = selected;
    return made;
  }

  // --- the field rows -------------------------------------------------------------------------------------------

  // Which control of which row has the focus, to give it back once the rows are drawn again.
  function focusedControl(body) {
    var active = document.activeElement;
    var tr = active && body.contains(active) ? active.closest("tr") : null;
    return tr ? { original: tr.dataset.original, parent: tr.dataset.parent || "", className: active.classList[0] } : null;
  }

  function refocus(body, at) {
    if (!at) { return; }
    var rows = Array.prototype.filter.call(body.querySelectorAll("tr.builder-field"), function (tr) {
      return tr.dataset.original === at.original && (tr.dataset.parent || "") === at.parent;
    });
    var control = rows.length ? rows[0].getElementsByClassName(at.className)[0] : null;
    if (control) { control.focus(); }
  }

  function render() {
    var body = builder.querySelector("tbody");
    var at = focusedControl(body);
    body.replaceChildren();
    var required = state.schema.required || [];
    order(state.schema, state.ui).forEach(function (name) {
      var field = state.schema.properties[name];
      var ui = isObject(state.ui[name]) ? state.ui[name] : {};
      var kind = kindOf(field, ui, false);
      body.appendChild(row(name, field, kind, required.indexOf(name) >= 0, null));
      if (kind === "group") {
        var inner = field.required || [];
        order(field, ui).forEach(function (child) {
          var sub = field.properties[child];
          body.appendChild(row(child, sub, kindOf(sub, ui[child], true), inner.indexOf(child) >= 0, name));
        });
      }
    });
    refocus(body, at);
    renderConditions();
    renderKept();
    builder.setAttribute("data-ready", "true");
  }

  // The rows of the group whose row is `groupRow`: those right after it that are children.
  function childRows(groupRow) {
    var out = [];
    for (var next = groupRow.nextElementSibling; next && next.classList.contains("builder-child"); next = next.nextElementSibling) {
      out.push(next);
    }
    return out;
  }

  function freeName(taken) {
    var n = 1;
    while (taken.indexOf("field_" + n) >= 0) { n += 1; }
    return "field_" + n;
  }

  function row(name, field, kind, isRequired, parent) {
    var tr = element("tr", parent === null ? "builder-field" : "builder-field builder-child");
    tr.dataset.original = name;
    tr.dataset.kind = kind;
    if (parent !== null) { tr.dataset.parent = parent; }
    var cells = [];
    var nameInput = element("input", "builder-name code");
    nameInput.value = name;
    nameInput.setAttribute("aria-label", parent === null ? t("Field name") : t("Field name in the group ") + parent);
    cells.push(nameInput);
    var titleInput = element("input", "builder-title");
    titleInput.value = (field && field.title) || "";
    titleInput.setAttribute("aria-label", t("Label"));
    cells.push(titleInput);
    var kindSelect = element("select", "builder-kind");
    kindSelect.setAttribute("aria-label", t("Kind"));
    if (kind === "advanced") {
      kindSelect.appendChild(option("advanced", t("advanced (edit the JSON)"), true));
      kindSelect.disabled = true;
    } else {
      (parent === null ? KINDS : FIELD_KINDS).forEach(function (k) { kindSelect.appendChild(option(k, t("kind:" + k), k === kind)); });
    }
    cells.push(kindSelect);
    var requiredBox = element("input", "builder-required");
    requiredBox.type = "checkbox";
    requiredBox.checked = isRequired;
    requiredBox.setAttribute("aria-label", t("Required"));
    cells.push(requiredBox);
    var extra = document.createDocumentFragment();
    var choicesArea = element("textarea", "builder-choices");
    choicesArea.rows = 2;
    choicesArea.value = kind === "choice" ? choicesText(field) : "";
    choicesArea.hidden = kind !== "choice";
    choicesArea.placeholder = t("One per line; value: label");
    choicesArea.setAttribute("aria-label", t("Choices"));
    extra.appendChild(choicesArea);
    var addChild = element("button", "button small secondary builder-add-child", t("Add a field to this group"));
    addChild.type = "button";
    addChild.hidden = kind !== "group";
    addChild.addEventListener("click", function () {
      var children = childRows(tr);
      var taken = children.map(function (c) { return c.querySelector(".builder-name").value.trim(); });
      var child = row(freeName(taken), null, "text", false, tr.dataset.original);
      child.dataset.original = "";
      (children.length ? children[children.length - 1] : tr).after(child);
      write();
      child.querySelector(".builder-name").focus();
    });
    extra.appendChild(addChild);
    cells.push(extra);
    var remove = element("button", "button small secondary builder-remove", t("Remove"));
    remove.type = "button";
    remove.addEventListener("click", function () {
      if (parent === null) { childRows(tr).forEach(function (c) { c.remove(); }); } // a group goes with its rows
      tr.remove();
      write();
    });
    cells.push(remove);
    cells.forEach(function (cell) {
      var td = element("td");
      td.appendChild(cell);
      tr.appendChild(td);
    });
    kindSelect.addEventListener("change", function () {
      var wasGroup = tr.dataset.kind === "group";
      tr.dataset.kind = kindSelect.value;
      choicesArea.hidden = kindSelect.value !== "choice";
      addChild.hidden = kindSelect.value !== "group";
      // A group's rows go with it when it becomes a single field; the rows then show the JSON as written.
      if (wasGroup && kindSelect.value !== "group") { childRows(tr).forEach(function (c) { c.remove(); }); }
      if (write() && (wasGroup || kindSelect.value === "group")) { render(); }
    });
    [nameInput, titleInput, requiredBox, choicesArea].forEach(function (input) {
      input.addEventListener("change", write);
    });
    return tr;
  }

  // --- the condition rows ---------------------------------------------------------------------------------------

  function fieldKinds() {
    var kinds = {};
    Object.keys(state.schema.properties).forEach(function (name) {
      var field = state.schema.properties[name];
      kinds[name] = kindOf(field, state.ui[name], false);
    });
    return kinds;
  }

  function fieldSelect(className, label, names, chosen) {
    var select = element("select", className);
    select.setAttribute("aria-label", label);
    var listed = names.indexOf(chosen) >= 0 || chosen === "" ? names : names.concat([chosen]);
    listed.forEach(function (name) {
      var field = state.schema.properties[name];
      var title = field && field.title ? name + " — " + field.title : name;
      select.appendChild(option(name, title, name === chosen));
    });
    return select;
  }

  // The control for the value a condition compares with: the field's options, yes/no, a number or a text.
  function valueControl(watched, value) {
    var field = state.schema.properties[watched];
    var kind = kindOf(field, state.ui[watched], false);
    var control;
    if (kind === "choice" || kind === "yesno") {
      control = element("select", "builder-condition-value");
      var options = kind === "yesno" ? [{ value: true, title: t("Yes") }, { value: false, title: t("No") }] : optionsOf(field);
      if (value !== undefined && !options.some(function (o) { return o.value === value; })) {
        options = options.concat([{ value: value, title: String(value) }]);
      }
      options.forEach(function (o, i) {
        control.appendChild(option(JSON.stringify(o.value), o.title, value === undefined ? i === 0 : o.value === value));
      });
    } else {
      control = element("input", "builder-condition-value");
      control.type = kind === "number" ? "number" : kind === "date" ? "date" : "text";
      control.value = value === undefined || value === null ? "" : String(value);
    }
    control.dataset.kind = kind;
    control.setAttribute("aria-label", t("Value"));
    control.addEventListener("change", write);
    return control;
  }

  function conditionRow(condition) {
    var kinds = fieldKinds();
    var names = Object.keys(kinds);
    var li = element("li", "builder-condition");
    var fieldChoice = fieldSelect("builder-condition-field", t("Field that becomes required"), names, condition.field);
    var watchedChoice = fieldSelect("builder-condition-when", t("Field the condition looks at"),
      names.filter(function (n) { return COMPARABLE.indexOf(kinds[n]) >= 0; }), condition.when);
    var value = valueControl(condition.when, condition.value);
    var remove = element("button", "button small secondary builder-condition-remove", t("Remove"));
    remove.type = "button";
    remove.addEventListener("click", function () { li.remove(); write(); });
    fieldChoice.addEventListener("change", write);
    watchedChoice.addEventListener("change", function () {
      // another field, other values: offer its own
      var fresh = valueControl(watchedChoice.value, undefined);
      li.querySelector(".builder-condition-value").replaceWith(fresh);
      write();
    });
    [t("Require"), fieldChoice, t("when"), watchedChoice, t("equals"), value, remove].forEach(function (part) {
      li.appendChild(typeof part === "string" ? element("span", "builder-condition-word", part) : part);
    });
    return li;
  }

  function conditionsSection() {
    var section = builder.querySelector(".builder-conditions");
    if (section) { return section; }
    section = element("section", "builder-conditions");
    section.setAttribute("aria-labelledby", "builder-conditions-heading");
    var heading = element("h3", "", t("Conditions"));
    heading.id = "builder-conditions-heading";
    section.appendChild(heading);
    section.appendChild(element("p", "muted", t("Applicants always see the field; the form is refused without it while the condition holds.")));
    section.appendChild(element("ul", "builder-condition-list"));
    var add = element("button", "button small secondary builder-add-condition", t("Add a condition"));
    add.type = "button";
    add.addEventListener("click", function () {
      var kinds = fieldKinds();
      var names = Object.keys(kinds);
      var watched = names.filter(function (n) { return kinds[n] === "choice" || kinds[n] === "yesno"; })[0]
        || names.filter(function (n) { return COMPARABLE.indexOf(kinds[n]) >= 0; })[0];
      if (!watched) { status(t("A condition looks at a field with a value: add one first.")); return; }
      var target = names.filter(function (n) { return n !== watched; })[0] || watched;
      var li = conditionRow({ field: target, when: watched, value: undefined });
      section.querySelector(".builder-condition-list").appendChild(li);
      write();
      li.querySelector(".builder-condition-field").focus();
    });
    section.appendChild(add);
    builder.appendChild(section);
    return section;
  }

  function renderConditions() {
    var list = conditionsSection().querySelector(".builder-condition-list");
    var focused = document.activeElement;
    var at = focused && list.contains(focused)
      ? [Array.prototype.indexOf.call(list.children, focused.closest("li")), focused.className] : null;
    list.replaceChildren();
    state.conditions.forEach(function (condition) { list.appendChild(conditionRow(condition)); });
    if (at && list.children[at[0]]) {
      var again = list.children[at[0]].getElementsByClassName(at[1])[0];
      if (again) { again.focus(); }
    }
  }

  // The condition a row says, or a problem (a sentence) when it cannot be written.
  function readCondition(li, renamed, properties) {
    var field = li.querySelector(".builder-condition-field").value;
    var when = li.querySelector(".builder-condition-when").value;
    field = has(renamed, field) ? renamed[field] : field;
    when = has(renamed, when) ? renamed[when] : when;
    var control = li.querySelector(".builder-condition-value");
    var missing = [field, when].filter(function (n) { return !has(properties, n); });
    if (missing.length) { return t("A condition names a field the form does not have (change or remove the condition): ") + missing[0]; }
    if (field === when) { return t("A condition cannot require the field it looks at: ") + field; }
    var value;
    if (control.tagName === "SELECT") { value = JSON.parse(control.value); }
    else if (control.dataset.kind === "number") {
      value = Number(control.value);
      if (control.value.trim() === "" || !isFinite(value)) { return t("A condition's value is not a number: ") + when; }
    } else { value = control.value; }
    return { field: field, when: when, value: value };
  }

  // --- what the builder keeps from the JSON without showing it ---------------------------------------------------

  function renderKept() {
    var section = builder.querySelector(".builder-kept");
    if (!section) {
      section = element("section", "builder-kept");
      section.appendChild(element("h3", "", t("Kept from the JSON (edit there)")));
      section.appendChild(element("ul"));
      builder.appendChild(section);
    }
    var list = section.querySelector("ul");
    list.replaceChildren();
    var items = Object.keys(state.schema).filter(function (key) { return SHOWN.indexOf(key) < 0; }).map(function (key) {
      return key + ": " + JSON.stringify(state.schema[key]);
    });
    state.keptAllOf.forEach(function (entry) { items.push("allOf: " + JSON.stringify(entry)); });
    order(state.schema, state.ui).forEach(function (name) {
      var field = state.schema.properties[name];
      var ui = isObject(state.ui[name]) ? state.ui[name] : {};
      var kind = kindOf(field, ui, false);
      if (kind === "advanced") { items.push(t("field ") + name); }
      if (kind === "group") {
        order(field, ui).forEach(function (child) {
          if (kindOf(field.properties[child], ui[child], true) === "advanced") { items.push(t("field ") + name + "." + child); }
        });
      }
    });
    items.forEach(function (text) {
      list.appendChild(element("li", "code", text.length > 160 ? text.slice(0, 159) + "…" : text));
    });
    section.hidden = !items.length;
  }

  function status(text) { builder.querySelector(".builder-status").textContent = text; }

  // --- rows → JSON ----------------------------------------------------------------------------------------------

  // One field's row as its schema and UI schema entry, into `into` ({properties, required, ui}); a problem or "".
  function writeRow(tr, field, oldUi, into) {
    var name = tr.querySelector(".builder-name").value.trim();
    var kind = tr.querySelector(".builder-kind").value;
    var taken = has(into.properties, name);
    tr.classList.toggle("builder-invalid", !NAME.test(name) || taken);
    if (!NAME.test(name)) { return t("A field name is lower-case letters, digits and _, starting with a letter: ") + name; }
    if (taken) { return t("Two fields are named ") + name; }
    into.properties[name] = kind === "advanced" ? field : shaped(kind, field, {
      title: tr.querySelector(".builder-title").value.trim(),
      choices: tr.querySelector(".builder-choices").value,
    });
    if (tr.querySelector(".builder-required").checked) { into.required.push(name); }
    var own = Object.assign({}, isObject(oldUi) ? oldUi : {});
    if (kind === "longtext") { own["ui:widget"] = "textarea"; } else if (own["ui:widget"] === "textarea") { delete own["ui:widget"]; }
    into.ui[name] = own;
    return "";
  }

  // The UI schema without empty entries.
  function pruned(ui) {
    Object.keys(ui).forEach(function (key) { if (isObject(ui[key]) && !Object.keys(ui[key]).length) { delete ui[key]; } });
    return ui;
  }

  // The rows as JSON Schema and UI schema, written into the text areas (which the preview watches). False when a row
  // says something that cannot be written (the problem is shown; the JSON stays as it was).
  function write() {
    var rows = Array.prototype.slice.call(builder.querySelectorAll("tr.builder-field"));
    var top = { properties: {}, required: [], ui: {} };
    var renamed = {};
    var problem = "";
    var group = null;
    rows.forEach(function (tr) {
      if (problem) { return; }
      var original = tr.dataset.original;
      var name = tr.querySelector(".builder-name").value.trim();
      if (tr.classList.contains("builder-child")) {
        if (!group) { return; }
        var inner = group.field && isObject(group.field.properties) ? group.field.properties : {};
        var oldUi = isObject(group.oldUi) ? group.oldUi[original] : null;
        problem = writeRow(tr, original ? inner[original] : null, original ? oldUi : null, group.into);
        if (!problem) { tr.dataset.original = name; tr.dataset.parent = group.name; }
        return;
      }
      var field = original ? state.schema.properties[original] : null;
      problem = writeRow(tr, field, original ? state.ui[original] : null, top);
      if (problem) { return; }
      if (original && original !== name) { renamed[original] = name; }
      tr.dataset.original = name;
      group = tr.querySelector(".builder-kind").value === "group"
        ? { name: name, field: field, oldUi: original ? state.ui[original] : null,
            into: { properties: {}, required: [], ui: {} } }
        : null;
      if (group) { top.properties[name].__group = group; }
    });
    var conditions = [];
    if (!problem) {
      Array.prototype.forEach.call(builder.querySelectorAll(".builder-condition"), function (li) {
        if (problem) { return; }
        var read = readCondition(li, renamed, top.properties);
        li.classList.toggle("builder-invalid", typeof read === "string");
        if (typeof read === "string") { problem = read; } else { conditions.push(read); }
      });
    }
    status(problem);
    if (problem) { return false; }

    // Groups: their rows become the object's properties, required and the UI schema inside the group's entry.
    Object.keys(top.properties).forEach(function (name) {
      var field = top.properties[name];
      var inner = field && field.__group;
      if (!inner) { return; }
      delete field.__group;
      field.properties = inner.into.properties;
      if (inner.into.required.length) { field.required = inner.into.required; } else { delete field.required; }
      var own = top.ui[name];
      Object.keys(own).forEach(function (key) {
        if (key.indexOf("ui:") !== 0 && !has(inner.into.properties, key)) { delete own[key]; }
      });
      Object.assign(own, inner.into.ui);
      pruned(own);
      if (Object.keys(inner.into.properties).length) { own["ui:order"] = Object.keys(inner.into.properties); }
    });

    var ui = Object.assign({}, state.ui);
    Object.keys(state.schema.properties).forEach(function (old) { delete ui[old]; });
    Object.assign(ui, top.ui);
    pruned(ui);
    if (Array.isArray(state.ui["ui:order"]) || rows.length) { ui["ui:order"] = Object.keys(top.properties); }
    var schema = Object.assign({}, state.schema, { properties: top.properties });
    if (top.required.length) { schema.required = top.required; } else { delete schema.required; }
    var allOf = entriesOf(conditions).concat(state.keptAllOf);
    if (allOf.length) { schema.allOf = allOf; } else { delete schema.allOf; }
    state.schema = schema;
    state.ui = ui;
    state.conditions = conditions;
    schemaBox.value = JSON.stringify(schema, null, 2);
    uiBox.value = JSON.stringify(ui, null, 2);
    renderConditions();
    renderKept();
    // The preview (htmx) redraws on input from the text areas.
    schemaBox.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  builder.querySelector(".builder-add").addEventListener("click", function () {
    var body = builder.querySelector("tbody");
    var tr = row(freeName(Object.keys(state.schema.properties)), null, "text", false, null);
    tr.dataset.original = "";
    body.appendChild(tr);
    write();
    tr.querySelector(".builder-name").focus();
  });

  // Hand edits of the JSON win: when they parse, the rows follow them. A text area's change comes as it loses the
  // focus, before the control clicked next has it: the rows are drawn again a moment later, and that control (if it
  // is one of theirs) gets the focus back instead of vanishing under the click.
  [schemaBox, uiBox].forEach(function (box) {
    box.addEventListener("change", function () {
      window.setTimeout(function () { if (read()) { render(); } }, 0);
    });
  });

  if (read()) { render(); } else {
    status(t("The JSON below does not parse: fix it there first."));
  }
})();
