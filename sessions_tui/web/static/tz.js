// Progressive enhancement: when the URL names no zone, show the times in the browser's own
// zone. Without JavaScript the page shows the practice's zone and the chooser still works.
(function () {
  var select = document.getElementById("tz");
  if (!select || select.getAttribute("data-from-url") === "yes") return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || zone === select.value) return;
  // The server checks the zone (aliases such as Asia/Calcutta included) and falls back to the
  // practice's zone; the URL then names a zone, so this runs once at most.
  var params = new URLSearchParams(window.location.search);
  params.set("tz", zone);
  window.location.replace(window.location.pathname + "?" + params.toString());
})();
