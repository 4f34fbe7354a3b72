// Times: the server writes UTC; show each in the viewer's time zone, UTC on hover.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
  });
  document.querySelectorAll("time[datetime]").forEach(function (node) {
    var moment = new Date(node.getAttribute("datetime"));
    if (!isNaN(moment)) {
      node.title = node.getAttribute("datetime").replace("T", " ").replace("Z", " UTC");
      node.textContent = format.format(moment);
    }
  });
  // The as-of form sends the browser's offset, so the time typed is the viewer's.
  document.querySelectorAll("input[data-tz-offset]").forEach(function (node) {
    node.value = String(new Date().getTimezoneOffset());
  });
});
