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

  // Documents: a file larger than its field allows (data-max-size, bytes) is refused here, before the whole form
  // travels to the server only to come back as "too large" with every chosen document lost. The field says which
  // file and what the limit is; the form's send buttons stay blocked until every such file is replaced.
  var english = document.documentElement.lang === "en";

  function megabytes(bytes) {
    var mb = Math.round(bytes / 104857.6) / 10;
    return (english ? String(mb) : String(mb).replace(".", ",")) + " MB";
  }

  function oversized(input) {
    var limit = parseInt(input.getAttribute("data-max-size"), 10);
    return Array.prototype.filter.call(input.files || [], function (file) { return file.size > limit; });
  }

  function describe(input, id, add) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
    if (add) { ids.push(id); }
    if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); } else { input.removeAttribute("aria-describedby"); }
  }

  function showSizeError(input, files) {
    var field = input.closest(".field") || input.parentNode;
    var id = input.id + "-size-error";
    var note = document.getElementById(id);
    if (!files.length) {
      if (note) { note.remove(); }
      field.classList.remove("has-size-error");
      input.removeAttribute("aria-invalid");
      describe(input, id, false);
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "error-message size-warning";
      note.id = id;
      note.setAttribute("role", "alert");
      input.parentNode.insertBefore(note, input);
    }
    var limit = megabytes(parseInt(input.getAttribute("data-max-size"), 10));
    var names = files.map(function (file) { return "“" + file.name + "” (" + megabytes(file.size) + ")"; }).join(", ");
    note.textContent = english
      ? names + " is larger than the " + limit + " this document may have. Choose a smaller file (scan at a lower resolution or compress the PDF)."
      : names + " lebih besar dari batas " + limit + " untuk dokumen ini. Pilih berkas yang lebih kecil (pindai dengan resolusi lebih rendah atau kompres PDF-nya).";
    field.classList.add("has-size-error");
    input.setAttribute("aria-invalid", "true");
    describe(input, id, true);
  }

  function blockSending(form) {
    var blocked = Array.prototype.some.call(form.querySelectorAll("input[type=file][data-max-size]"),
                                            function (input) { return oversized(input).length > 0; });
    var buttons = form.querySelectorAll(".actions button[type=submit]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (blocked) {
        button.disabled = true;
        button.setAttribute("data-size-blocked", "");
      } else if (button.hasAttribute("data-size-blocked")) {
        button.disabled = false;
        button.removeAttribute("data-size-blocked");
      }
    });
    var actions = form.querySelector(".actions");
    var note = form.querySelector(".size-block-note");
    if (blocked && actions && !note) {
      note = document.createElement("p");
      note.className = "error-message size-block-note";
      note.setAttribute("role", "status");
      note.textContent = english ? "A chosen file is too large: replace it to send the form."
                                 : "Ada berkas yang terlalu besar: ganti dulu agar formulir dapat dikirim.";
      actions.parentNode.insertBefore(note, actions);
    } else if (!blocked && note) {
      note.remove();
    }
    return blocked;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-size]")) { return; }
    showSizeError(input, oversized(input));
    if (input.form) { blockSending(input.form); }
  });

  // Enter in a text field or a button enabled by other means must not send an oversized file either.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelector || !blockSending(form)) { return; }
    event.preventDefault();
    var first = Array.prototype.find.call(form.querySelectorAll("input[type=file][data-max-size]"),
                                          function (input) { return oversized(input).length > 0; });
    if (first) { first.focus(); }
  }, true);

  // The limit beside each document field, so nobody has to find it out by trying.
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-size]"), function (input) {
      var id = input.id + "-size-limit";
      if (document.getElementById(id)) { return; }
      var hint = document.createElement("p");
      hint.className = "hint size-limit";
      hint.id = id;
      var limit = megabytes(parseInt(input.getAttribute("data-max-size"), 10));
      hint.textContent = english ? "At most " + limit + (input.multiple ? " per file." : ".")
                                 : "Paling besar " + limit + (input.multiple ? " per berkas." : ".");
      input.parentNode.insertBefore(hint, input);
      describe(input, id, true);
    });
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
    // drafts.js keeps the reference in the form's draft.
    input.dispatchEvent(new CustomEvent("lincah:uploaded", {bubbles: true}));
  }

  // The refusal is announced (role=alert) and stays tied to its input, so a screen reader on the field reads it.
  function uploadError(input, message) {
    var id = input.id + "-upload-error";
    var note = input.parentNode.querySelector(".upload-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "error-message upload-error";
      note.id = id;
      note.setAttribute("role", "alert");
      input.parentNode.insertBefore(note, input);
    }
    note.textContent = message;
    input.setAttribute("aria-invalid", "true");
    describe(input, id, true);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form[data-upload-url] input[type=file]:not([multiple])")) { return; }
    if (!input.files || !input.files.length || !window.fetch || !window.FormData) { return; }
    if (input.parentNode.querySelector(".size-warning")) { return; }
    var form = input.form;
    var body = new FormData();
    body.append("file", input.files[0]);
    body.append("accept", input.getAttribute("accept") || "");
    body.append("_csrf", form.querySelector("input[name=_csrf]").value);
    var old = input.parentNode.querySelector(".upload-error");
    if (old) {
      old.remove();
      input.removeAttribute("aria-invalid");
      describe(input, input.id + "-upload-error", false);
    }
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

  // Several documents in one field: each is uploaded as soon as it is chosen too, and the form keeps its reference
  // as the next item of the list (``<field>.<n>.__id``), so a draft keeps them and nothing is sent twice.
  function nextIndex(form, name) {
    var highest = -1;
    var prefix = name + ".";
    Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (input) {
      if (input.name.indexOf(prefix) !== 0) { return; }
      var head = input.name.slice(prefix.length).split(".")[0];
      if (/^\d+$/.test(head)) { highest = Math.max(highest, parseInt(head, 10)); }
    });
    return highest + 1;
  }

  function listed(input, data) {
    var form = input.form;
    var index = nextIndex(form, input.name);
    hidden(form, input.name + "." + index + ".__id", data.id);
    hidden(form, input.name + "." + index + ".__name", data.name);
    var list = input.parentNode.querySelector("ul.file-list");
    if (!list) {
      list = document.createElement("ul");
      list.className = "file-list";
      list.setAttribute("aria-live", "polite");
      input.parentNode.insertBefore(list, input);
    }
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = data.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = data.name;
    item.appendChild(link);
    list.appendChild(item);
    input.dispatchEvent(new CustomEvent("lincah:uploaded", {bubbles: true}));
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form[data-upload-url] input[type=file][multiple]")) { return; }
    if (!input.files || !input.files.length || !window.fetch || !window.FormData) { return; }
    if (input.parentNode.querySelector(".size-warning")) { return; }
    var form = input.form;
    var files = Array.prototype.slice.call(input.files);
    var old = input.parentNode.querySelector(".upload-error");
    if (old) {
      old.remove();
      input.removeAttribute("aria-invalid");
      describe(input, input.id + "-upload-error", false);
    }
    input.setAttribute("aria-busy", "true");
    // One after another: the references are numbered in the order chosen.
    files.reduce(function (previous, file) {
      return previous.then(function () {
        var body = new FormData();
        body.append("file", file);
        body.append("accept", input.getAttribute("accept") || "");
        body.append("_csrf", form.querySelector("input[name=_csrf]").value);
        return fetch(form.getAttribute("data-upload-url"), {method: "POST", body: body, credentials: "same-origin",
                                                           headers: {"Accept": "application/json"}})
          .then(function (response) {
            return response.json().then(function (data) { return {ok: response.ok, data: data}; });
          })
          .then(function (answer) {
            if (answer.ok) { listed(input, answer.data); } else { uploadError(input, answer.data.error); }
          });
      });
    }, Promise.resolve())
      .then(function () { input.value = ""; })  // each file is listed above, or its refusal is said
      .catch(function () { /* the files stay in the input and are sent with the form */ })
      .then(function () { input.removeAttribute("aria-busy"); });
  });

  // Characters left in a long text: counted as the server counts them (code points), said before the limit is
  // passed; the field never cuts what was typed or pasted, the server refuses a longer text on the field itself.
  function updateCounter(field) {
    var counter = document.getElementById(field.id + "-count");
    var limit = parseInt(field.getAttribute("data-maxlength"), 10);
    if (!counter || isNaN(limit)) { return; }
    var left = limit - Array.from(field.value.replace(/\r\n/g, "\n")).length;
    var template = counter.getAttribute(left < 0 ? "data-over" : "data-left") || "{n}";
    var amount = Math.abs(left).toLocaleString(document.documentElement.lang || undefined);
    counter.textContent = template.replace("{n}", amount);
    counter.classList.toggle("over", left < 0);
  }

  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-maxlength")) { updateCounter(event.target); }
  });

  // After a refused submission, take the person to the list of what to correct.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
