// The console's one script: a batch being sent shows its progress live, from
// the page's server-sent events (data-events). A file of its own, not inline:
// the pages' Content-Security-Policy allows scripts from the console only.
(function () {
  var box = document.getElementById("progress");
  if (!box || !window.EventSource) { setTimeout(function () { location.reload(); }, 2000); return; }
  var set = function (id, text) { document.getElementById(id).textContent = text; };
  var es = new EventSource(box.dataset.events);
  es.addEventListener("progress", function (e) {
    var f = JSON.parse(e.data);
    set("p-done", f.done); set("p-total", f.total);
    set("p-rate", f.rate_shown);
    set("p-eta", f.eta_seconds === null ? "?" : f.eta_seconds + " s");
    set("p-money", f.refunded_shown.join(" · "));
    set("p-causes", Object.keys(f.causes).map(function (k) { return k + ": " + f.causes[k]; }).join(" · "));
    if (f.state !== "sending") { es.close(); location.reload(); }
  });
})();
