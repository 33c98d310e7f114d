// Draws the BPMN diagrams of the page read-only with bpmn-js (NavigatedViewer: pan and zoom), marking the current
// step(s) and the steps already done, or a version's changes. Without JavaScript the ordered list of steps below each diagram remains.
(function () {
  "use strict";

  function draw(container) {
    if (typeof window.BpmnJS !== "function") { return; }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport", "auto");
        (container.getAttribute("data-done") || "").split(" ").forEach(function (id) {
          if (id && registry.get(id)) { canvas.addMarker(id, "done"); }
        });
        (container.getAttribute("data-current") || "").split(" ").forEach(function (id) {
          if (id && registry.get(id)) { canvas.addMarker(id, "current"); }
        });
        // A version's changes (the publish page): added, changed and removed elements in their colours.
        ["added", "changed", "removed"].forEach(function (kind) {
          (container.getAttribute("data-" + kind) || "").split(" ").forEach(function (id) {
            if (id && registry.get(id)) { canvas.addMarker(id, "diff-" + kind); }
          });
        });
        container.setAttribute("data-rendered", "true");
      })
      .catch(function () {
        var note = document.createElement("p");
        note.className = "muted";
        note.textContent = container.getAttribute("data-error");
        container.appendChild(note);
        container.setAttribute("data-rendered", "error");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-bpmn-url]"), draw);
  });
})();
