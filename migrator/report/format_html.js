// The report's only script: sort and filter the flows table, fold the diffs.
// The page's Content-Security-Policy pins this text by its hash.
(function () {
  "use strict";
  var table = document.getElementById("flows");
  var filter = document.getElementById("status-filter");
  var shown = document.getElementById("shown");
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var sorted = { col: -1, dir: 1 };

  // A cell sorts by its data-v attribute when it has one, else by its text.
  function sortKey(row, col, numeric) {
    var cell = row.cells[col];
    var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
    if (!numeric) return v;
    return v === "" ? -Infinity : Number(v);
  }

  // sortBy sorts on the header's column, ascending first, then descending.
  // Equal keys keep their order, so sorts can be chained.
  function sortBy(th) {
    var col = th.cellIndex;
    var numeric = th.getAttribute("data-type") === "num";
    var dir = sorted.col === col ? -sorted.dir : 1;
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return { row: row, key: sortKey(row, col, numeric), i: i };
    });
    rows.sort(function (a, b) {
      var c = numeric ? (a.key === b.key ? 0 : a.key < b.key ? -1 : 1) : collator.compare(a.key, b.key);
      return c * dir || a.i - b.i;
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r.row); });
    body.appendChild(frag);
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    sorted = { col: col, dir: dir };
  }

  function filterRows() {
    var want = filter.value;
    var n = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      row.hidden = want !== "" && row.getAttribute("data-status") !== want;
      if (!row.hidden) n++;
    });
    shown.textContent = n + (want ? " " + want + " flows of " + table.tBodies[0].rows.length : " flows");
  }

  function foldDiffs(open) {
    document.querySelectorAll("details.diff").forEach(function (d) { d.open = open; });
  }

  // A link to a flow's diff unfolds it.
  function openTarget() {
    var el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el && el.tagName === "DETAILS") el.open = true;
  }

  if (table) {
    table.tHead.addEventListener("click", function (e) {
      var button = e.target.closest("th button");
      if (button) sortBy(button.parentNode);
    });
    filter.addEventListener("change", filterRows);
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-details]");
    if (button) foldDiffs(button.getAttribute("data-details") === "open");
  });
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
