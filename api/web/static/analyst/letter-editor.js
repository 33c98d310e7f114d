// The permit-letter editor: line numbers beside the template's textareas (lint names problems by line), and a
// problem's "line N" link that puts the cursor on that line. Without this script the page works as plain forms.
(function () {
  "use strict";

  function lineCount(text) {
    return text.split("\n").length;
  }

  function number(textarea) {
    var wrap = document.createElement("div");
    wrap.className = "numbered-wrap";
    var gutter = document.createElement("pre");
    gutter.className = "line-numbers";
    gutter.setAttribute("aria-hidden", "true");
    textarea.parentNode.insertBefore(wrap, textarea);
    wrap.appendChild(gutter);
    wrap.appendChild(textarea);
    var shown = 0;
    function update() {
      var count = lineCount(textarea.value);
      if (count !== shown) {
        var lines = [];
        for (var i = 1; i <= count; i += 1) {
          lines.push(String(i));
        }
        gutter.textContent = lines.join("\n");
        shown = count;
      }
      gutter.scrollTop = textarea.scrollTop;
    }
    textarea.addEventListener("input", update);
    textarea.addEventListener("scroll", function () {
      gutter.scrollTop = textarea.scrollTop;
    });
    update();
  }

  function goToLine(textarea, line) {
    var lines = textarea.value.split("\n");
    var target = Math.max(1, Math.min(line, lines.length));
    var start = 0;
    for (var i = 0; i < target - 1; i += 1) {
      start += lines[i].length + 1;
    }
    textarea.focus();
    textarea.setSelectionRange(start, start + lines[target - 1].length);
    var height = textarea.scrollHeight / lines.length;
    textarea.scrollTop = Math.max(0, (target - 3) * height);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea.numbered").forEach(number);
    var html = document.getElementById("letter-html");
    document.querySelectorAll("a.letter-line").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        goToLine(html, parseInt(link.getAttribute("data-line"), 10) || 1);
      });
    });
  });
})();
