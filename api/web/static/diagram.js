// Draws the BPMN diagrams of the page read-only with bpmn-js (NavigatedViewer: pan and zoom), marking the current
// step(s) and the steps already done, or a version's changes. Without JavaScript the ordered list of steps below each diagram remains.
(function () {
  "use strict";

  // On an English page the server passes the elements' name.en ({id: name}); they are written over the names of
  // this copy of the XML before it is drawn, so the labels read in English while the stored diagram is unchanged.
  function englishNames(container) {
    try { return JSON.parse(container.getAttribute("data-labels") || "{}"); } catch { return {}; }
  }

  function translated(xml, names) {
    if (!Object.keys(names).length || typeof window.DOMParser !== "function") { return xml; }
    var doc = new window.DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) { return xml; }
    Array.prototype.forEach.call(doc.querySelectorAll("[id]"), function (element) {
      var id = element.getAttribute("id");
      if (Object.prototype.hasOwnProperty.call(names, id) && element.hasAttribute("name")) {
        element.setAttribute("name", names[id]);
      }
    });
    return new window.XMLSerializer().serializeToString(doc);
  }

  // An event's or a flow's label is drawn in the box the diagram gives it, sized for the Indonesian name: a longer
  // English name would break mid-word, so its box is measured again for the words it now holds.
  function refitLabels(viewer, names) {
    var textRenderer = viewer.get("textRenderer");
    var graphicsFactory = viewer.get("graphicsFactory");
    var registry = viewer.get("elementRegistry");
    registry.filter(function (element) { return element.type === "label" && element.labelTarget; })
      .forEach(function (label) {
        var name = label.businessObject && label.businessObject.name;
        if (!name || !Object.prototype.hasOwnProperty.call(names, label.labelTarget.id)) { return; }
        var bounds = textRenderer.getExternalLabelBounds(label, name);
        label.x = bounds.x;
        label.width = bounds.width;
        label.height = bounds.height;
        graphicsFactory.update("shape", label, registry.getGraphics(label));
      });
  }

  function draw(container) {
    if (typeof window.BpmnJS !== "function") { return; }
    var viewer = new window.BpmnJS({ container: container });
    var names = englishNames(container);
    fetch(container.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(translated(xml, names)); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        refitLabels(viewer, names);
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
