// sonic-cms admin: media fields. "Choose from library" opens a <dialog> listing
// GET /admin/lookup/media (search, type, "Load more"); a click picks a file. "Upload" sends the
// file to the API's POST /api/media/upload (the session cookie authenticates it) and picks the
// new file. The id goes into the hidden input. Binds to [data-media-picker]; runs again after
// htmx swaps content in.
(function () {
  "use strict";

  var DELAY_MS = 250;

  // The API's error body ({error, code, details: [{path, message}]}) as one sentence.
  function problem(answer) {
    var text = answer.error || "the server refused the file";
    var details = (answer.details || []).map(function (d) { return d.message; }).filter(Boolean);
    return details.length ? text + ": " + details.join("; ") : text;
  }

  function bind(field) {
    if (field.dataset.mediaBound === "true") return;
    field.dataset.mediaBound = "true";
    var value = field.querySelector("[data-media-value]");
    var current = field.querySelector("[data-media-current]");
    var status = field.querySelector("[data-media-status]");
    var dialog = field.querySelector("[data-media-dialog]");
    var results = field.querySelector("[data-media-results]");
    var q = field.querySelector("[data-media-q]");
    var type = field.querySelector("[data-media-type]");
    var upload = field.querySelector("[data-media-upload]");
    var clear = field.querySelector("[data-media-clear]");
    var opener = field.querySelector("[data-media-open]");
    var timer = null;

    function list(cursor, target, swap) {
      var params = new URLSearchParams({ q: q.value, type: type.value, cursor: String(cursor) });
      return window.htmx.ajax("GET", "/admin/lookup/media?" + params.toString(), {
        target: target,
        swap: swap,
      });
    }

    function choose(id) {
      value.value = id;
      value.dispatchEvent(new Event("change", { bubbles: true }));
      clear.hidden = !id;
      if (!id) {
        var none = document.createElement("p");
        none.className = "muted media-current__none";
        none.textContent = "No file chosen.";
        current.replaceChildren(none);
        return;
      }
      window.htmx.ajax("GET", "/admin/lookup/media/" + encodeURIComponent(id), {
        target: current,
        swap: "innerHTML",
      });
    }

    opener.addEventListener("click", function () {
      dialog.showModal();
      list(1, results, "innerHTML");
      q.focus();
    });
    field.querySelector("[data-media-close]").addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () { opener.focus(); });
    q.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { list(1, results, "innerHTML"); }, DELAY_MS);
    });
    type.addEventListener("change", function () { list(1, results, "innerHTML"); });
    results.addEventListener("click", function (event) {
      var more = event.target.closest("[data-media-more]");
      if (more) {
        var wrap = more.closest("[data-media-more-wrap]");
        var before = results.querySelectorAll("[data-media-pick]").length;
        list(more.dataset.mediaMore, wrap, "outerHTML").then(function () {
          var first = results.querySelectorAll("[data-media-pick]")[before];
          if (first) first.focus();
        });
        return;
      }
      var pick = event.target.closest("[data-media-pick]");
      if (pick) {
        choose(pick.dataset.mediaPick);
        status.textContent = "";
        dialog.close();
      }
    });
    clear.addEventListener("click", function () {
      choose("");
      opener.focus();
    });
    upload.addEventListener("change", function () {
      var file = upload.files && upload.files[0];
      if (!file) return;
      var body = new FormData();
      body.append("file", file);
      status.textContent = "Uploading " + file.name + "…";
      fetch("/api/media/upload", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (answer) { return [response.ok, answer]; });
        })
        .then(function (pair) {
          if (!pair[0]) throw new Error(problem(pair[1]));
          status.classList.remove("media-status--error");
          choose(pair[1].file.id);
          status.textContent = "Uploaded " + pair[1].file.originalName + ".";
        })
        .catch(function (error) {
          status.textContent = "Upload failed: " + error.message;
          status.classList.add("media-status--error");
        })
        .finally(function () { upload.value = ""; });
    });
  }

  function bindAll(root) {
    root.querySelectorAll("[data-media-picker]").forEach(bind);
  }

  document.addEventListener("DOMContentLoaded", function () { bindAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { bindAll(event.target); });
})();
