"""The proof page's style and its small inline script: sorting by a column, and filtering the rows.

Without the script the page shows every row in the build's order; the script adds a button to each sortable
column heading (aria-sort says the order), shows the filters (a text box, the kind, the mail status, only
those with warnings) and announces how many rows are shown. A query string sets the same as the controls:
`index.html?sort=email&order=descending&filter=wakefield&kind=letter&status=sent&warnings=1`.
"""

STYLE = """
body { font-family: Carlito, Calibri, Arial, sans-serif; margin: 2rem; color: #1a1a1a; max-width: 90rem; }
h1 { color: #005e6e; } table { border-collapse: collapse; width: 100%; margin-bottom: 2rem; }
caption { text-align: left; font-weight: bold; padding: .4rem 0; }
th, td { border-bottom: 1px solid #ccc; padding: .4rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #e8f0f1; } tbody th { font-weight: normal; } .warn { color: #8a4b00; }
.figures { font-size: .9rem; } ul { margin: 0; padding-left: 1.1rem; } details summary { cursor: pointer; }
th button { font: inherit; font-weight: bold; color: inherit; background: none; border: 0; padding: 0;
  cursor: pointer; text-align: left; }
th button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #005e6e; }
th[aria-sort=ascending] button::after { content: " \\2191"; }
th[aria-sort=descending] button::after { content: " \\2193"; }
img.thumbnail { border: 1px solid #999; width: 150px; height: auto; }
#summary { list-style: none; padding: 0; display: flex; gap: 1.5rem; flex-wrap: wrap; font-size: 1.1rem; }
#filters { display: flex; gap: 1rem; flex-wrap: wrap; align-items: end; margin-bottom: .5rem; }
#filters[hidden] { display: none; } #filters label { display: flex; flex-direction: column; }
#filters label.check { flex-direction: row; gap: .3rem; align-items: center; }
.sent { color: #1d6b2a; } .failed { color: #a01818; } .awaiting { color: #8a4b00; }
"""


SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("documents");
  var form = document.getElementById("filters");
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var text = document.getElementById("filter-text");
  var kind = document.getElementById("filter-kind");
  var status = document.getElementById("filter-status");
  var warned = document.getElementById("filter-warnings");
  var shown = document.getElementById("shown");
  var current = { key: null, descending: false };
  rows.forEach(function (row, index) { row.setAttribute("data-index", String(index)); });

  function sortValue(row, key) {
    var cell = row.querySelector('[data-key="' + key + '"]');
    return cell ? cell.getAttribute("data-sort") || "" : "";
  }

  function sortBy(key, descending) {
    var column = headers.filter(function (th) { return th.getAttribute("data-sort") === key; })[0];
    if (!column) { return; }
    current = { key: key, descending: descending };
    var numeric = column.getAttribute("data-type") === "number";
    rows.sort(function (a, b) {
      var x = sortValue(a, key), y = sortValue(b, key);
      var order = numeric ? Number(x) - Number(y)
        : x.localeCompare(y, "en-GB", { sensitivity: "base", numeric: true });
      if (descending) { order = -order; }
      return order || Number(a.getAttribute("data-index")) - Number(b.getAttribute("data-index"));
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (th) {
      if (th.getAttribute("data-sort")) {
        th.setAttribute("aria-sort", th === column ? (descending ? "descending" : "ascending") : "none");
      }
    });
  }

  function applyFilters() {
    var words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var haystack = row.getAttribute("data-text") || "";
      var show = words.every(function (word) { return haystack.indexOf(word) >= 0; })
        && (!kind.value || row.getAttribute("data-kind") === kind.value)
        && (!status.value || row.getAttribute("data-status") === status.value)
        && (!warned.checked || row.getAttribute("data-warnings") !== "0");
      row.hidden = !show;
      if (show) { count += 1; }
    });
    var noun = rows.length === 1 ? " document" : " documents";
    shown.textContent = count + " of " + rows.length + noun + " shown";
  }

  headers.forEach(function (th) {
    var key = th.getAttribute("data-sort");
    if (!key) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-key", key);
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    th.setAttribute("aria-sort", "none");
    button.addEventListener("click", function () {
      sortBy(key, current.key === key ? !current.descending : false);
    });
  });

  var query = new URLSearchParams(window.location.search);
  text.value = query.get("filter") || "";
  kind.value = query.get("kind") || "";
  status.value = query.get("status") || "";
  warned.checked = query.get("warnings") === "1";
  if (query.get("sort")) { sortBy(query.get("sort"), query.get("order") === "descending"); }
  form.addEventListener("input", applyFilters);
  form.addEventListener("change", applyFilters);
  form.addEventListener("submit", function (event) { event.preventDefault(); applyFilters(); });
  form.hidden = false;
  applyFilters();
})();
"""
