// sonic-cms admin: the logs page's live tail. Polling, not a held connection: every few
// seconds it asks /admin/logs/tail for the records after the newest it has (the cursor travels
// in the X-Tail-After headers) and puts them on top of the table. It asks only while the tab
// is visible, and stops when the page goes away, so an idle or forgotten tab costs nothing.
(function () {
  "use strict";
  var INTERVAL = 3000;

  function bind() {
    var button = document.querySelector("[data-tail-toggle]");
    var rows = document.getElementById("log-rows");
    if (!button || !rows) return;
    var status = document.querySelector("[data-tail-status]");
    var after = button.getAttribute("data-tail-after");
    var afterId = button.getAttribute("data-tail-after-id");
    var timer = null;
    var running = false;
    var inFlight = null;

    function say(text) { if (status) status.textContent = text; }

    function schedule() {
      if (running && !timer && document.visibilityState === "visible") {
        timer = window.setTimeout(poll, INTERVAL);
      }
    }

    function poll() {
      timer = null;
      if (!running) return;
      var url = button.getAttribute("data-tail-url");
      url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(after) +
        "&after_id=" + encodeURIComponent(afterId);
      inFlight = new AbortController();
      fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" }, signal: inFlight.signal })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          after = response.headers.get("X-Tail-After") || after;
          afterId = response.headers.get("X-Tail-After-Id") || afterId;
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = "<table><tbody>" + html + "</tbody></table>";
          var fresh = template.content.querySelectorAll("tr");
          for (var i = fresh.length - 1; i >= 0; i--) rows.insertBefore(fresh[i], rows.firstChild);
          if (fresh.length) {
            var empty = document.querySelector("[data-log-empty]");
            if (empty) empty.remove();
            say(fresh.length + " new " + (fresh.length === 1 ? "record" : "records") + " at " + new Date().toLocaleTimeString());
          }
          schedule();
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          say("Live tail stopped: " + error.message);
          stop();
        });
    }

    function start() {
      running = true;
      button.setAttribute("aria-pressed", "true");
      button.textContent = "Stop live tail";
      say("Live: new records appear at the top.");
      poll();
    }

    function stop() {
      running = false;
      if (timer) { window.clearTimeout(timer); timer = null; }
      if (inFlight) inFlight.abort();
      button.setAttribute("aria-pressed", "false");
      button.textContent = "Start live tail";
    }

    button.addEventListener("click", function () {
      if (running) { stop(); say("Live tail stopped."); } else { start(); }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") schedule();
      else if (timer) { window.clearTimeout(timer); timer = null; }
    });
    window.addEventListener("pagehide", stop);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
