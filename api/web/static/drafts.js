// Drafts: a form marked data-draft-url is saved on the server as the person types (a few seconds after the last
// key, when a field loses focus, when an upload finishes), so a refresh, a dropped connection, an expired session
// or another device loses nothing; the form's page draws the draft again (api/web/views/drafts.py). While something
// is not saved yet, leaving the page asks first. Sending the form validates everything as if there were no draft.
(function () {
  "use strict";
  var DELAY = 2000;
  var leaving = false;

  function Draft(form) {
    this.form = form;
    this.status = form.querySelector("[data-draft-status]");
    this.version = 0;   // changes made
    this.saved = 0;     // the change the server has
    this.busy = false;
    this.timer = null;
  }

  Draft.prototype.say = function (text, kind) {
    if (!this.status) { return; }
    this.status.textContent = text;
    this.status.setAttribute("data-state", kind);
  };

  Draft.prototype.body = function () {
    var data = new FormData(this.form);
    var body = new FormData();
    data.forEach(function (value, name) {
      if (typeof value === "string") { body.append(name, value); }
    });
    body.append("_scope", this.form.getAttribute("data-draft-scope"));
    return body;
  };

  Draft.prototype.changed = function (soon) {
    this.version += 1;
    this.schedule(soon ? 0 : DELAY);
  };

  Draft.prototype.schedule = function (delay) {
    var self = this;
    if (this.timer) { clearTimeout(this.timer); }
    this.timer = setTimeout(function () { self.timer = null; self.save(); }, delay);
  };

  Draft.prototype.unsaved = function () { return this.version > this.saved; };

  Draft.prototype.save = function () {
    var self = this;
    if (this.busy || !this.unsaved() || leaving) { return; }
    var version = this.version;
    var csrf = this.form.querySelector("input[name=_csrf]");
    this.busy = true;
    this.say(this.form.getAttribute("data-draft-saving"), "saving");
    fetch(this.form.getAttribute("data-draft-url"), {
      method: "POST", body: this.body(), credentials: "same-origin", redirect: "error",
      headers: {"Accept": "application/json", "X-CSRF-Token": csrf ? csrf.value : ""}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          self.saved = Math.max(self.saved, version);
          self.say(self.form.getAttribute("data-draft-saved") + " " + (data.saved_text || ""), "saved");
        } else if (response.status === 401 || response.status === 400) {
          self.say(self.form.getAttribute("data-draft-signed-out"), "signed-out");
        } else {
          self.say(data.error || self.form.getAttribute("data-draft-offline"), "refused");
        }
      });
    }, function () {
      self.say(self.form.getAttribute("data-draft-offline"), "offline");
    }).then(function () {
      self.busy = false;
      if (self.unsaved() && self.status && self.status.getAttribute("data-state") === "saved") {
        self.schedule(DELAY);
      }
    });
  };

  var drafts = [];

  function draftOf(node) {
    var form = node && node.closest ? node.closest("form[data-draft-url]") : null;
    if (!form) { return null; }
    for (var i = 0; i < drafts.length; i += 1) {
      if (drafts[i].form === form) { return drafts[i]; }
    }
    return null;
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-url]"), function (form) {
      drafts.push(new Draft(form));
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }

  document.addEventListener("input", function (event) {
    if (event.target.type === "file") { return; }
    var draft = draftOf(event.target);
    if (draft) { draft.changed(false); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.type === "file") { return; }
    var draft = draftOf(event.target);
    if (draft) { draft.changed(false); }
  });
  // A field left: save now rather than in a few seconds (the next tap may be the last before the connection goes).
  document.addEventListener("focusout", function (event) {
    var draft = draftOf(event.target);
    if (draft && draft.unsaved()) { draft.schedule(0); }
  });
  // lincah.js announces a finished upload: the draft keeps the document's reference.
  document.addEventListener("lincah:uploaded", function (event) {
    var draft = draftOf(event.target);
    if (draft) { draft.changed(true); }
  });
  // Adding or removing an item of a repeatable group changes the inputs without an input event.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-group-add], [data-group-remove]")) { return; }
    var draft = draftOf(event.target);
    if (draft) { setTimeout(function () { draft.changed(false); }, 0); }
  });
  window.addEventListener("online", function () {
    drafts.forEach(function (draft) { if (draft.unsaved()) { draft.schedule(0); } });
  });

  // Sending the form (or discarding the draft) leaves the page on purpose.
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) { leaving = true; }
  });
  window.addEventListener("pageshow", function () { leaving = false; });

  window.addEventListener("beforeunload", function (event) {
    if (leaving) { return undefined; }
    var pending = drafts.some(function (draft) { return draft.unsaved() || draft.busy; });
    if (!pending) { return undefined; }
    event.preventDefault();
    event.returnValue = "";
    return "";
  });
})();
