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

  // After a refused submission, take the person to the list of what to correct.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
