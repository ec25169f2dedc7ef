// sonic-cms admin: the item panel and versions page behaviours. No inline script (CSP); each
// behaviour binds to a data attribute and binds again after htmx swaps the panel.
(function () {
  "use strict";

  // The schedule's time zone defaults to the browser's when the server lists it.
  function preselectZone(root) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    root.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
      if (select.dataset.zoneSet || !zone) return;
      select.dataset.zoneSet = "1";
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) { select.value = zone; break; }
      }
    });
  }

  // Rollback confirmation: a <dialog> opened by its button, closed by its cancel button.
  function bindDialogs(root) {
    root.querySelectorAll("[data-dialog-open]").forEach(function (button) {
      if (button.dataset.bound) return;
      button.dataset.bound = "1";
      button.addEventListener("click", function () {
        var dialog = document.getElementById(button.dataset.dialogOpen);
        if (dialog && dialog.showModal) dialog.showModal();
      });
    });
    root.querySelectorAll("[data-dialog-close]").forEach(function (button) {
      if (button.dataset.bound) return;
      button.dataset.bound = "1";
      button.addEventListener("click", function () {
        var dialog = button.closest("dialog");
        if (dialog) dialog.close();
      });
    });
  }

  // Toasts added by an htmx answer (out of band): dismissable, info ones fade out.
  function bindToasts(root) {
    root.querySelectorAll("[data-panel-toast]").forEach(function (toast) {
      if (toast.dataset.bound) return;
      toast.dataset.bound = "1";
      var close = toast.querySelector(".toast__close");
      if (close) close.addEventListener("click", function () { toast.remove(); });
      if (!toast.classList.contains("toast--error")) {
        window.setTimeout(function () { toast.remove(); }, 6000);
      }
    });
  }

  // After an outerHTML swap the event's target is the element replaced, so bind the document
  // (each element is bound once: data-bound).
  function bindAll() {
    preselectZone(document);
    bindDialogs(document);
    bindToasts(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bindAll);
  } else {
    bindAll();
  }
  // An htmx swap replaces the button that had the focus; keyboard users continue from the
  // swapped region's heading (tabindex="-1") instead of the top of the page.
  var focusedInside = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    var region = active && active.closest ? active.closest("[data-focus-region]") : null;
    focusedInside = region ? region.id : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    bindAll();
    if (!focusedInside) return;
    var region = document.getElementById(focusedInside);
    var heading = region && region.querySelector("[data-focus-target]");
    if (heading) heading.focus();
    focusedInside = null;
  });
  document.addEventListener("htmx:oobAfterSwap", function () { bindToasts(document); });
})();
