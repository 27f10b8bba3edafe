/* Feedback Loop — small progressive enhancements; pages work without it. No inline scripts (CSP). */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // <button data-confirm="确定？"> asks before submitting.
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest && ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });

  // A "select all on this page" checkbox.
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.matches && t.matches("input[data-select-all]")) {
      $$("input[name=ids]").forEach(function (box) { box.checked = t.checked; });
    }
    updateSelectedCount();
  });
  function updateSelectedCount() {
    var out = $("[data-selected-count]");
    if (out) { out.textContent = String($$("input[name=ids]:checked").length); }
  }

  // Triage keyboard loop: j/k move, x select, o/Enter open, c confirm, n not a complaint,
  // 1–7 toggle a category (on the detail page), ? help.
  function typing(ev) {
    var t = ev.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && t.type !== "checkbox");
  }
  var rows = $$("tr[data-row]");
  var cur = -1;
  function focusRow(i) {
    if (!rows.length) { return; }
    cur = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) { r.classList.toggle("current", k === cur); });
    rows[cur].scrollIntoView({ block: "nearest" });
  }
  function clickIn(root, sel) { var b = $(sel, root); if (b) { b.click(); return true; } return false; }
  function toggleHelp(force) {
    var help = $("#shortcut-help");
    if (help) { help.hidden = force === undefined ? !help.hidden : !force; }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev)) { return; }
    var k = ev.key;
    if (k === "?") { toggleHelp(); ev.preventDefault(); return; }
    if (k === "Escape") { toggleHelp(false); return; }
    var page = document.body.getAttribute("data-keys");
    if (page === "triage-list") {
      if (k === "j") { focusRow(cur + 1); ev.preventDefault(); }
      else if (k === "k") { focusRow(cur - 1); ev.preventDefault(); }
      else if (cur >= 0 && (k === "o" || k === "Enter")) { clickIn(rows[cur], "a[data-open]"); }
      else if (cur >= 0 && k === "x") {
        var box = $("input[name=ids]", rows[cur]); if (box) { box.checked = !box.checked; updateSelectedCount(); }
      }
      else if (cur >= 0 && k === "c") { clickIn(rows[cur], "button[data-key=confirm]"); }
      else if (cur >= 0 && k === "n") { clickIn(rows[cur], "button[data-key=not-complaint]"); }
    } else if (page === "triage-detail") {
      if (k === "j") { clickIn(document, "a[data-key=next]"); }
      else if (k === "k") { clickIn(document, "a[data-key=prev]"); }
      else if (k === "c") { clickIn(document, "button[data-key=confirm]"); }
      else if (k === "n") { clickIn(document, "button[data-key=not-complaint]"); }
      else if (k === "s") { clickIn(document, "button[data-key=save]"); }
      else if (/^[1-7]$/.test(k)) {
        var cb = $("input[data-cat-key='" + k + "']");
        if (cb) { cb.checked = !cb.checked; ev.preventDefault(); }
      }
    }
  });

  if (rows.length && document.body.getAttribute("data-keys") === "triage-list") { focusRow(0); }
  updateSelectedCount();
})();
