// hookflow console: the little the pages need beyond HTML.
"use strict";

// A recovery under way shows its progress: reload while it runs.
document.addEventListener("DOMContentLoaded", function () {
  var running = document.querySelector("[data-refresh]");
  if (running) {
    var seconds = parseInt(running.getAttribute("data-refresh"), 10) || 3;
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
  // The collection list narrows to the chosen database's collections.
  var database = document.getElementById("database_id");
  var collection = document.getElementById("collection_id");
  if (database && collection) {
    var all = Array.prototype.slice.call(collection.options);
    var narrow = function () {
      var db = database.value;
      all.forEach(function (o) {
        o.hidden = db !== "" && o.value !== "" && o.getAttribute("data-database") !== db;
      });
    };
    database.addEventListener("change", narrow);
    narrow();
  }
});
