/* postmortem-kb: the ledger's filter box. The ledger's static pages (by status, owner,
   service) are the filters that work without JavaScript; with it, a box above each table
   of action items hides the rows of the page that do not contain every word typed
   (action, owner, incident, ticket, status, any case), without loading a page. */
(function () {
  "use strict";

  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(Boolean);
  }

  function attach(table, index) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    var box = document.createElement("div");
    box.className = "pmkb-ledger-filter";
    var id = "pmkb-ledger-filter-" + index;
    box.innerHTML =
      '<label for="' + id + '">Filter this page</label> ' +
      '<input type="search" id="' + id + '" autocomplete="off" ' +
      'placeholder="an owner, a service, words…"> ' +
      '<span role="status" aria-live="polite"></span>';
    var input = box.querySelector("input");
    var status = box.querySelector("span");
    input.addEventListener("input", function () {
      var wanted = words(input.value);
      var shown = 0;
      rows.forEach(function (row, i) {
        var match = wanted.every(function (word) { return texts[i].indexOf(word) !== -1; });
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      status.textContent = wanted.length ? shown + " of " + rows.length + " rows" : "";
    });
    var wrapper = table.closest(".pmkb-scroll") || table;
    wrapper.parentNode.insertBefore(box, wrapper);
  }

  function start() {
    var tables = document.querySelectorAll("table.pmkb-ledger");
    Array.prototype.forEach.call(tables, attach);
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(start); // Material's instant navigation
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
