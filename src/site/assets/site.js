// litops render: search over titles, headings and commands; copy buttons;
// the light/dark switch. No network: the index is a local script.
(function () {
  "use strict";
  var root = (document.currentScript && document.currentScript.dataset.root) || "";
  var index = window.LITOPS_SEARCH || [];

  function entries() {
    var out = [];
    index.forEach(function (page) {
      out.push({ text: page.title, url: page.url, kind: "runbook", page: page.title });
      page.headings.forEach(function (h) {
        out.push({ text: h[0], url: page.url + "#" + h[1], kind: "section", page: page.title });
      });
      page.commands.forEach(function (c) {
        out.push({ text: c[0], url: page.url + "#" + c[1], kind: "command", page: page.title });
      });
    });
    return out;
  }
  var all = entries();

  function search(query) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    return all.filter(function (e) {
      var text = e.text.toLowerCase();
      return words.every(function (w) { return text.indexOf(w) >= 0; });
    }).slice(0, 30);
  }

  var input = document.getElementById("search");
  var results = document.getElementById("results");
  if (input && results) {
    input.addEventListener("input", function () {
      var found = search(input.value);
      results.innerHTML = "";
      found.forEach(function (e) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = root + e.url;
        a.textContent = e.text;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = e.kind + " · " + e.page;
        li.appendChild(a);
        li.appendChild(kind);
        results.appendChild(li);
      });
      results.hidden = found.length === 0;
    });
  }

  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      function done() {
        button.textContent = "Copied";
        button.dataset.copied = "true";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else {
        fallback(text);
        done();
      }
    });
  });

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing else to try */ }
    document.body.removeChild(area);
  }

  var theme = document.getElementById("theme");
  if (theme) {
    theme.addEventListener("click", function () {
      var html = document.documentElement;
      var dark = html.dataset.theme === "dark" ||
        (!html.dataset.theme && window.matchMedia("(prefers-color-scheme: dark)").matches);
      html.dataset.theme = dark ? "light" : "dark";
      localStorage.setItem("litops-theme", html.dataset.theme);
    });
  }
})();
