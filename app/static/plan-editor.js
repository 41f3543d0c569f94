/* The plan editor's live check (app/templates/committee/plan_editor.html).
 *
 * Same origin, no dependency, no inline code (the CSP allows scripts from 'self' only).
 * As one types, after a pause, the text is posted as JSON to the form's data-check-url
 * with the page's CSRF token; the answer's problems replace the list (same markup as the
 * server renders) and mark their lines in the gutter. A click on a problem selects its
 * line. Without this script the Check button does the same through the form.
 */
(function () {
  "use strict";

  var DELAY_MS = 600;

  function start() {
    var form = document.querySelector("[data-plan-editor]");
    if (!form) return;
    var area = form.querySelector("textarea[name=document]");
    var gutter = form.querySelector(".gutter");
    var list = document.querySelector("[data-testid=problems]");
    var status = form.querySelector("[data-testid=check-status]");
    var token = form.querySelector("input[name=csrf_token]").value;
    var url = form.getAttribute("data-check-url");
    var timer = null;
    var sequence = 0;
    var bad = {};
    Array.prototype.forEach.call(gutter.querySelectorAll(".bad"), function (span) {
      bad[Number(span.textContent)] = true;
    });

    function drawGutter() {
      var count = area.value.split("\n").length;
      var fragment = document.createDocumentFragment();
      for (var n = 1; n <= count; n++) {
        var span = document.createElement("span");
        span.textContent = String(n);
        if (bad[n]) span.className = "bad";
        fragment.appendChild(span);
        fragment.appendChild(document.createTextNode("\n"));
      }
      gutter.textContent = "";
      gutter.appendChild(fragment);
      gutter.scrollTop = area.scrollTop;
    }

    function code(text, className) {
      var element = document.createElement("code");
      element.textContent = text;
      if (className) element.className = className;
      return element;
    }

    function item(problem) {
      var li = document.createElement("li");
      li.className = "problem " + problem.severity;
      li.setAttribute("data-testid", "problem");
      if (problem.line) li.setAttribute("data-line", String(problem.line));
      var where = document.createElement("span");
      where.className = "where";
      where.textContent = problem.line ? "line " + problem.line : "not at a line";
      var badge = document.createElement("span");
      badge.className = "badge " + (problem.severity === "error" ? "rejected" : "submitted");
      badge.textContent = problem.severity;
      li.appendChild(where);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(badge);
      if (problem.rule) {
        li.appendChild(document.createTextNode(" rule "));
        li.appendChild(code(problem.rule));
      }
      li.appendChild(document.createTextNode(" "));
      li.appendChild(code(problem.path, "path"));
      li.appendChild(document.createTextNode(": " + problem.message));
      return li;
    }

    function show(answer) {
      bad = {};
      list.textContent = "";
      answer.problems.forEach(function (problem) {
        if (problem.line) bad[problem.line] = true;
        list.appendChild(item(problem));
      });
      var count = answer.problems.length;
      status.textContent = count
        ? count + " problem(s)" + (answer.blocking ? "." : ", none blocks submission.")
        : "No problems: lint and the embedded tests pass.";
      drawGutter();
    }

    function check() {
      var mine = ++sequence;
      status.textContent = "Checking…";
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": token
        },
        body: JSON.stringify({ document: area.value })
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (answer) {
          if (mine === sequence) show(answer);
        })
        .catch(function (error) {
          if (mine === sequence) {
            status.textContent = "Could not check (" + error.message + "): use the Check button.";
          }
        });
    }

    function selectLine(line) {
      var lines = area.value.split("\n");
      var from = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) from += lines[i].length + 1;
      var to = from + (lines[line - 1] || "").length;
      area.focus();
      area.setSelectionRange(from, to);
      var height = area.scrollHeight / Math.max(lines.length, 1);
      area.scrollTop = Math.max(0, (line - 3) * height);
    }

    area.addEventListener("input", function () {
      drawGutter();
      window.clearTimeout(timer);
      timer = window.setTimeout(check, DELAY_MS);
    });
    area.addEventListener("scroll", function () {
      gutter.scrollTop = area.scrollTop;
    });
    list.addEventListener("click", function (event) {
      var target = event.target.closest("[data-line]");
      if (target) selectLine(Number(target.getAttribute("data-line")));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
