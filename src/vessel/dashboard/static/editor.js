// Vessel dashboard: the YAML editor (templates/editor.html). A plain textarea, enhanced: line numbers
// beside it, and a check as you type — the text is sent to the editor's dry-run (debounced; an older
// answer arriving late is ignored) and each problem the server finds ({path, line, message}) is marked
// at its line and listed. Without this script the form still applies, and the server marks the lines.
(function () {
  "use strict";
  var DEBOUNCE_MS = 400;

  function setUp(box) {
    var area = box.querySelector("textarea");
    var gutter = box.querySelector(".gutter");
    var backdrop = document.createElement("div");
    var status = document.getElementById("check");
    var list = document.getElementById("problems");
    var url = box.getAttribute("data-validate");
    var csrf = box.getAttribute("data-csrf");
    var marks = marksOf(list);
    var timer = null;
    var sent = 0;
    var pending = null;

    backdrop.className = "backdrop";
    backdrop.setAttribute("aria-hidden", "true");
    box.insertBefore(backdrop, area);

    function draw() {
      var count = area.value.split("\n").length;
      var numbers = document.createDocumentFragment();
      var rows = document.createDocumentFragment();
      for (var line = 1; line <= count; line++) {
        var number = document.createElement("div");
        var row = document.createElement("div");
        number.textContent = String(line);
        number.setAttribute("data-line", String(line));
        if (marks[line]) {
          number.className = "bad";
          number.title = marks[line].join("\n");
          row.className = "bad";
        }
        numbers.appendChild(number);
        rows.appendChild(row);
      }
      gutter.replaceChildren(numbers);
      backdrop.replaceChildren(rows);
      follow();
    }

    function follow() {
      gutter.scrollTop = area.scrollTop;
      backdrop.style.transform = "translate(" + -area.scrollLeft + "px," + -area.scrollTop + "px)";
    }

    function show(answer) {
      marks = {};
      list.replaceChildren();
      if (answer.status === 200) {
        var n = answer.body.resources;
        status.textContent = "Valid: renders " + n + " resource" + (n === 1 ? "" : "s") + ".";
        status.className = "check ok";
        (answer.body.warnings || []).forEach(function (w) { list.appendChild(item(null, "", w)); });
      } else {
        var problems = answer.body.problems || [{ path: "", line: null, message: answer.body.detail }];
        problems.forEach(function (p) {
          if (p.line) { (marks[p.line] = marks[p.line] || []).push(p.message); }
          list.appendChild(item(p.line, p.path, p.message));
        });
        status.textContent = problems.length + " problem" + (problems.length === 1 ? "" : "s") + ".";
        status.className = "check error";
      }
      draw();
    }

    function item(line, path, message) {
      var li = document.createElement("li");
      if (line) {
        var link = document.createElement("a");
        link.href = "#yaml";
        link.className = "goto";
        link.textContent = "line " + line;
        li.setAttribute("data-line", String(line));
        li.appendChild(link);
        li.appendChild(document.createTextNode(": "));
      }
      if (path) {
        var code = document.createElement("code");
        code.textContent = path;
        li.appendChild(code);
        li.appendChild(document.createTextNode(": "));
      }
      li.appendChild(document.createTextNode(message));
      return li;
    }

    function check() {
      var mine = ++sent;
      if (pending) { pending.abort(); }
      pending = new AbortController();
      status.textContent = "Checking…";
      status.className = "check";
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/yaml", "X-CSRF-Token": csrf },
        body: area.value,
        signal: pending.signal
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (answer) {
        if (mine === sent) { show(answer); }
      }).catch(function (error) {
        if (error.name !== "AbortError" && mine === sent) {
          status.textContent = "Could not check (" + error.message + "); Apply still checks everything.";
          status.className = "check error";
        }
      });
    }

    function goTo(line) {
      var lines = area.value.split("\n");
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
      area.focus();
      area.setSelectionRange(start, start + (lines[line - 1] || "").length);
      var height = area.scrollHeight / Math.max(lines.length, 1);
      area.scrollTop = Math.max(0, (line - 3) * height);
      follow();
    }

    area.addEventListener("input", function () {
      draw();
      clearTimeout(timer);
      timer = setTimeout(check, DEBOUNCE_MS);
    });
    area.addEventListener("scroll", follow);
    list.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a.goto");
      if (link) {
        event.preventDefault();
        goTo(Number(link.parentNode.getAttribute("data-line")));
      }
    });
    draw();
    if (!list.children.length) { check(); }
  }

  function marksOf(list) {
    var found = {};
    Array.prototype.forEach.call(list.querySelectorAll("li[data-line]"), function (li) {
      var line = Number(li.getAttribute("data-line"));
      (found[line] = found[line] || []).push(li.textContent);
    });
    return found;
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".editor[data-validate]"), setUp);
  });
}());
