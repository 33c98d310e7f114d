// Drafts: a form marked data-draft-url is saved on the server as the person types (a few seconds after the last
// key, when a field loses focus, when an upload finishes), so a refresh, a dropped connection, an expired session
// or another device loses nothing; the form's page draws the draft again (api/web/views/drafts.py). While something
// is not saved yet, leaving the page asks first. Sending the form validates everything as if there were no draft.
// What could not reach the server (no connection, an ended session) waits in this browser's storage, under the
// account's name, and is sent as soon as that account opens the form again here — then the page is drawn anew.
(function () {
  "use strict";
  var DELAY = 2000;
  var leaving = false;

  function Draft(form) {
    this.form = form;
    this.status = form.querySelector("[data-draft-status]");
    if (this.status) { this.status.hidden = false; }  // without this script nothing is saved: the line says nothing
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

  Draft.prototype.pairs = function () {
    var pairs = [];
    new FormData(this.form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "_csrf") { pairs.push([name, value]); }
    });
    return pairs;
  };

  Draft.prototype.body = function (pairs) {
    var body = new FormData();
    pairs.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append("_scope", this.form.getAttribute("data-draft-scope"));
    return body;
  };

  // The browser's copy of what the server does not have yet: per account and form.
  Draft.prototype.key = function () {
    return "lincah-draft:" + this.form.getAttribute("data-draft-owner") + ":" +
      this.form.getAttribute("data-draft-scope");
  };

  Draft.prototype.keep = function (pairs) {
    var copy = {at: Date.now(), pairs: pairs};
    try { window.localStorage.setItem(this.key(), JSON.stringify(copy)); } catch { /* storage off */ }
  };

  Draft.prototype.forget = function () {
    try { window.localStorage.removeItem(this.key()); } catch { /* storage off */ }
  };

  Draft.prototype.kept = function () {
    try { return JSON.parse(window.localStorage.getItem(this.key()) || "null"); } catch { return null; }
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

  Draft.prototype.send = function (pairs) {
    var csrf = this.form.querySelector("input[name=_csrf]");
    return fetch(this.form.getAttribute("data-draft-url"), {
      method: "POST", body: this.body(pairs), credentials: "same-origin", redirect: "error",
      headers: {"Accept": "application/json", "X-CSRF-Token": csrf ? csrf.value : ""}
    });
  };

  Draft.prototype.save = function () {
    var self = this;
    if (this.busy || !this.unsaved() || leaving) { return; }
    var version = this.version;
    var pairs = this.pairs();
    this.busy = true;
    this.say(this.form.getAttribute("data-draft-saving"), "saving");
    this.send(pairs).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          self.saved = Math.max(self.saved, version);
          self.forget();
          self.say(self.form.getAttribute("data-draft-saved") + " " + (data.saved_text || ""), "saved");
        } else if (response.status === 401 || response.status === 400) {
          self.keep(pairs);
          self.say(self.form.getAttribute("data-draft-signed-out"), "signed-out");
        } else {
          self.say(data.error || self.form.getAttribute("data-draft-offline"), "refused");
        }
      });
    }, function () {
      self.keep(pairs);
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

  // Typing this browser kept while it could not save (offline, signed out) goes to the server now; the page is
  // then drawn again from the draft, as on any other device, and says it restored it.
  // A copy older than the server's draft (saved since, here or on another device) is stale and goes.
  Draft.prototype.catchUp = function () {
    var self = this;
    var copy = this.kept();
    if (!copy || !copy.pairs || !copy.pairs.length) { return; }
    var serverAt = Date.parse(this.form.getAttribute("data-draft-saved-at") || "");
    if (!isNaN(serverAt) && serverAt >= copy.at) {
      this.forget();
      return;
    }
    this.send(copy.pairs).then(function (response) {
      if (response.ok) {
        self.forget();
        leaving = true;
        window.location.reload();
      }
    }, function () { /* still offline: the copy stays for the next visit */ });
  };

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-url]"), function (form) {
      var draft = new Draft(form);
      drafts.push(draft);
      draft.catchUp();
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
    if (event.defaultPrevented) { return; }
    leaving = true;
    var draft = draftOf(event.target);
    if (draft) { draft.forget(); }  // the form itself now goes to the server
    if (event.target.classList && event.target.classList.contains("draft-discard")) {
      drafts.forEach(function (each) { each.forget(); });  // thrown away here too, not sent back on return
    }
  });
  window.addEventListener("pageshow", function () { leaving = false; });

  // The page goes anyway (the person confirmed, the tab was closed, the phone put the browser away): what was not
  // saved yet leaves with the page as a beacon, and stays in this browser in case the beacon is lost.
  window.addEventListener("pagehide", function () {
    if (leaving || !navigator.sendBeacon) { return; }
    drafts.forEach(function (draft) {
      if (!draft.unsaved()) { return; }
      var pairs = draft.pairs();
      draft.keep(pairs);
      var body = draft.body(pairs);
      var csrf = draft.form.querySelector("input[name=_csrf]");
      body.append("_csrf", csrf ? csrf.value : "");
      navigator.sendBeacon(draft.form.getAttribute("data-draft-url"), body);
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (leaving) { return undefined; }
    var pending = drafts.some(function (draft) { return draft.unsaved() || draft.busy; });
    if (!pending) { return undefined; }
    event.preventDefault();
    event.returnValue = "";
    return "";
  });
})();
