// sonic-cms admin, media library: drag-and-drop and chosen-file uploads with per-file progress
// (XMLHttpRequest to the API's POST /api/media/upload, which the cookie session may call),
// bulk selection with its confirmation dialog, the delete dialog, and focus for the details
// drawer. Clicks and changes are delegated from the document, so content htmx swaps in
// (the results, the drawer) works without binding again.
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function errorMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && (body.message || body.error)) return body.message || body.error;
    } catch (ignored) { /* not JSON */ }
    return xhr.status ? "HTTP " + xhr.status : "network error";
  }

  // One file: a row with its name, a progress bar and a status text, then the request.
  function uploadOne(zone, file, done) {
    var list = zone.querySelector("[data-media-uploads]");
    var row = el("li", "upload");
    var bar = el("progress", "upload__bar");
    var status = el("span", "upload__status", "Waiting");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    row.appendChild(el("span", "upload__name", file.name));
    row.appendChild(bar);
    row.appendChild(status);
    list.appendChild(row);

    var form = new FormData();
    form.append("file", file, file.name);
    if (zone.dataset.folder) form.append("folder", zone.dataset.folder);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", zone.dataset.uploadUrl);
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      status.textContent = "Uploading " + percent + "%";
    });
    xhr.addEventListener("load", function () {
      var ok = xhr.status >= 200 && xhr.status < 300;
      bar.value = 100;
      row.classList.add(ok ? "upload--done" : "upload--failed");
      status.textContent = ok ? "Uploaded" : "Failed: " + errorMessage(xhr);
      done(ok);
    });
    xhr.addEventListener("error", function () {
      row.classList.add("upload--failed");
      status.textContent = "Failed: network error";
      done(false);
    });
    xhr.send(form);
  }

  // Every file at once; when the last one answers, the results and folder counts reload.
  function uploadAll(zone, files) {
    var left = files.length;
    if (!left) return;
    Array.prototype.forEach.call(files, function (file) {
      uploadOne(zone, file, function () {
        left -= 1;
        if (left === 0) refreshResults(zone);
      });
    });
  }

  function refreshResults(zone) {
    var target = document.getElementById("media-results");
    if (!target || !window.htmx) return;
    window.htmx.ajax("GET", zone.dataset.resultsUrl, { target: target, swap: "innerHTML" });
    // the folder counts changed too: the same list, cut from the page as it is now
    window.htmx.ajax("GET", window.location.href, {
      target: ".media-folders__list", select: ".media-folders__list", swap: "outerHTML"
    });
  }

  function bindDropzone(zone) {
    var input = zone.querySelector("[data-media-input]");
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone--over");
      });
    });
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove("dropzone--over");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dropzone--over");
      if (event.dataTransfer && event.dataTransfer.files) uploadAll(zone, event.dataTransfer.files);
    });
    if (input) {
      input.addEventListener("change", function () {
        uploadAll(zone, input.files);
        input.value = "";
      });
    }
  }

  // Bulk selection: the delete button counts what is checked; the dialog names the files.
  function picked() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-media-bulk] input[name=ids]:checked"));
  }

  function syncBulk() {
    var button = document.querySelector("[data-media-bulk-delete]");
    if (!button) return;
    var count = picked().length;
    button.disabled = count === 0;
    button.textContent = count ? "Delete selected (" + count + ")…" : "Delete selected…";
  }

  function openBulkDialog() {
    var dialog = document.getElementById("media-bulk-dialog");
    if (!dialog) return;
    var names = dialog.querySelector("[data-media-bulk-names]");
    var boxes = picked();
    names.textContent = "";
    boxes.forEach(function (box) { names.appendChild(el("li", "", box.dataset.name)); });
    dialog.querySelector("[data-media-bulk-title]").textContent =
      "Delete " + boxes.length + (boxes.length === 1 ? " file?" : " files?");
    dialog.showModal();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (target.hasAttribute("data-media-select-all")) {
      document.querySelectorAll("[data-media-bulk] input[name=ids]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.name === "ids" || target.hasAttribute("data-media-select-all")) syncBulk();
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-media-bulk-delete]")) {
      openBulkDialog();
      return;
    }
    var opener = target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dialog && dialog.showModal) dialog.showModal();
    }
  });

  // Toasts swapped in out of band (a save in the drawer): dismissable, and they fade.
  document.addEventListener("htmx:oobAfterSwap", function () {
    document.querySelectorAll("#toasts .toast:not([data-bound])").forEach(function (toast) {
      toast.setAttribute("data-bound", "");
      var close = toast.querySelector(".toast__close");
      if (close) close.addEventListener("click", function () { toast.remove(); });
      window.setTimeout(function () { toast.remove(); }, 6000);
    });
  });

  // The drawer: keyboard users land on the file they opened; the grid marks it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "media-results") syncBulk();
    if (!target || target.id !== "media-drawer") return;
    var details = target.querySelector("[data-media-details]");
    if (!details) return;
    var id = details.getAttribute("data-media-details");
    document.querySelector(".media").classList.add("media--open");
    document.querySelectorAll("[data-media-item]").forEach(function (node) {
      node.classList.toggle("media-tile--selected", node.getAttribute("data-media-item") === id);
    });
    var heading = target.querySelector(".media-details__title");
    if (heading && !target.contains(document.activeElement)) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-media-dropzone]").forEach(bindDropzone);
    syncBulk();
  });
})();
