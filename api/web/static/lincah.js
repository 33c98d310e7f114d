// Small enhancements; every page works without them (the server handles "add"/"remove" and validates everything).
(function () {
  "use strict";

  // Repeatable groups: add and remove items in the browser instead of a round trip.
  function renumber(html, group, index) {
    var escaped = group.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    var idPart = "f-" + group.replace(/[^A-Za-z0-9_-]/g, "-") + "-";
    return html
      .replace(new RegExp(escaped + "\\.__INDEX__", "g"), group + "." + index)
      .replace(new RegExp(idPart + "__INDEX__", "g"), idPart + index);
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-group-add]");
    if (add) {
      var group = add.closest("[data-group]");
      var template = group && group.querySelector(":scope > template[data-group-template]");
      if (!template) { return; }
      event.preventDefault();
      var index = parseInt(group.getAttribute("data-next-index") || "0", 10);
      var items = group.querySelector(":scope > [data-group-items]");
      var wrapper = document.createElement("div");
      wrapper.innerHTML = renumber(template.innerHTML, group.getAttribute("data-group"), index);
      var item = wrapper.firstElementChild;
      var count = items.children.length + 1;
      var title = item.querySelector(".group-item-title");
      if (title) { title.textContent = title.textContent.trim() + " " + count; }
      items.appendChild(item);
      group.setAttribute("data-next-index", String(index + 1));
      var max = group.getAttribute("data-max-items");
      if (max && items.children.length >= parseInt(max, 10)) { add.hidden = true; }
      var first = item.querySelector("input, select, textarea");
      if (first) { first.focus(); }
      return;
    }
    var remove = event.target.closest("[data-group-remove]");
    if (remove) {
      var itemNode = remove.closest(".group-item");
      var owner = remove.closest("[data-group]");
      if (!itemNode || !owner) { return; }
      event.preventDefault();
      itemNode.remove();
      var addButton = owner.querySelector(":scope > [data-group-add]");
      if (addButton) { addButton.hidden = false; addButton.focus(); }
    }
  });

  // Documents: say at once when a chosen file is larger than the field allows.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-size]")) { return; }
    var limit = parseInt(input.getAttribute("data-max-size"), 10);
    var tooBig = Array.prototype.some.call(input.files || [], function (file) { return file.size > limit; });
    var note = input.parentNode.querySelector(".size-warning");
    if (tooBig) {
      if (!note) {
        note = document.createElement("p");
        note.className = "error-message size-warning";
        note.setAttribute("role", "alert");
        input.parentNode.insertBefore(note, input);
      }
      var lang = document.documentElement.lang;
      var mb = Math.round(limit / 104857.6) / 10;
      note.textContent = lang === "en" ? "This file is larger than " + mb + " MB; choose a smaller one."
                                       : "Berkas ini lebih dari " + mb + " MB; pilih berkas yang lebih kecil.";
    } else if (note) {
      note.remove();
    }
  });

  // Documents: upload each file as soon as it is chosen; the form then sends only its reference. A failed or
  // impossible upload leaves the file in the input, and it goes with the form as it would without JavaScript.
  function hidden(form, name, value) {
    var input = form.querySelector('input[type=hidden][name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  function uploaded(input, data) {
    var form = input.form;
    hidden(form, input.name + ".__id", data.id);
    hidden(form, input.name + ".__name", data.name);
    var current = document.getElementById(input.id + "-current");
    if (!current) {
      current = document.createElement("p");
      current.className = "file-current";
      current.id = input.id + "-current";
      current.setAttribute("aria-live", "polite");
      input.parentNode.insertBefore(current, input);
    }
    current.textContent = form.getAttribute("data-uploaded-label") + " ";
    var link = document.createElement("a");
    link.href = data.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = data.name;
    current.appendChild(link);
    var size = document.createElement("span");
    size.className = "muted";
    size.textContent = " (" + data.size_text + ")";
    current.appendChild(size);
    input.value = "";
    input.removeAttribute("required");
    input.setAttribute("data-uploaded", data.id);
  }

  function uploadError(input, message) {
    var note = input.parentNode.querySelector(".upload-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "error-message upload-error";
      note.setAttribute("role", "alert");
      input.parentNode.insertBefore(note, input);
    }
    note.textContent = message;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form[data-upload-url] input[type=file]:not([multiple])")) { return; }
    if (!input.files || !input.files.length || !window.fetch || !window.FormData) { return; }
    if (input.parentNode.querySelector(".size-warning")) { return; }
    var form = input.form;
    var body = new FormData();
    body.append("file", input.files[0]);
    body.append("_csrf", form.querySelector("input[name=_csrf]").value);
    var old = input.parentNode.querySelector(".upload-error");
    if (old) { old.remove(); }
    input.setAttribute("aria-busy", "true");
    input.removeAttribute("data-uploaded");
    fetch(form.getAttribute("data-upload-url"), {method: "POST", body: body, credentials: "same-origin",
                                                 headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (answer) {
        if (answer.ok) { uploaded(input, answer.data); } else { uploadError(input, answer.data.error); }
      })
      .catch(function () { /* the file stays in the input and is sent with the form */ })
      .then(function () { input.removeAttribute("aria-busy"); });
  });

  // After a refused submission, take the person to the list of what to correct.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
