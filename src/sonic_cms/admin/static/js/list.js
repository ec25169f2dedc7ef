// sonic-cms admin: the content list's bulk selection. Select all, the "N selected" count, the
// action buttons enabled only with a selection, and the delete confirmation dialog naming how
// many items go. Bound to data attributes; re-bound after htmx swaps the results.
(function () {
  "use strict";

  function itemsText(n) {
    return n === 1 ? "1 item" : n + " items";
  }

  function bindBulkForm(form) {
    if (form.dataset.bulkBound) return;
    form.dataset.bulkBound = "1";
    var all = form.querySelector("[data-select-all]");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-select-item]"));
    var count = form.querySelector("[data-bulk-count]");
    var actions = form.querySelectorAll("[data-bulk-action]");
    var dialog = form.querySelector("[data-bulk-dialog]");

    function selected() {
      return boxes.filter(function (box) { return box.checked; }).length;
    }

    function update() {
      var n = selected();
      if (count) count.textContent = n ? itemsText(n) + " selected" : "Select items to act on them";
      actions.forEach(function (button) { button.disabled = n === 0; });
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
      form.querySelectorAll("[data-bulk-dialog-count]").forEach(function (el) {
        el.textContent = itemsText(n);
      });
    }

    boxes.forEach(function (box) { box.addEventListener("change", update); });
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        update();
      });
    }
    var del = form.querySelector("[data-bulk-delete]");
    if (del && dialog) {
      del.addEventListener("click", function () {
        if (selected() === 0) return;
        update();
        dialog.showModal();
      });
      var cancel = dialog.querySelector("[data-bulk-dialog-cancel]");
      if (cancel) cancel.addEventListener("click", function () { dialog.close(); del.focus(); });
      form.addEventListener("submit", function () { if (dialog.open) dialog.close(); });
    }
    update();
  }

  function bind(root) {
    root.querySelectorAll("[data-bulk-form]").forEach(bindBulkForm);
  }

  // Toasts added by a bulk action's answer (htmx swaps them out of band into #toasts).
  function bindToast(toast) {
    if (toast.dataset.toastBound) return;
    toast.dataset.toastBound = "1";
    var close = toast.querySelector(".toast__close");
    if (close) close.addEventListener("click", function () { toast.remove(); });
    if (!toast.classList.contains("toast--error")) {
      window.setTimeout(function () { toast.remove(); }, 8000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.target;
    bind(target);
    // The link or button that asked is gone with the old results: keep focus in the list.
    if (target.id === "content-results" && !target.contains(document.activeElement)) {
      var landing = target.querySelector("[data-results-focus]");
      var filters = document.getElementById("list-filters");
      if (landing && !(filters && filters.contains(document.activeElement))) {
        landing.focus();
      }
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    document.querySelectorAll("[data-list-toast]").forEach(bindToast);
  });
})();
