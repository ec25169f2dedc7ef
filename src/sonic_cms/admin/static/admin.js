// sonic-cms admin: the few behaviours of the shell. No inline script anywhere (the CSP forbids
// it); each behaviour binds to a data attribute or class.
(function () {
  "use strict";

  // The sidebar's toggle on narrow screens.
  function bindNavToggle() {
    var button = document.querySelector("[data-nav-toggle]");
    var sidebar = document.getElementById("sidebar");
    if (!button || !sidebar) return;
    button.addEventListener("click", function () {
      var open = sidebar.classList.toggle("sidebar--open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Toasts: dismiss on click, fade out after a while.
  function bindToasts(root) {
    root.querySelectorAll(".toast").forEach(function (toast) {
      var close = toast.querySelector(".toast__close");
      if (close) close.addEventListener("click", function () { toast.remove(); });
      if (!toast.classList.contains("toast--error")) {
        window.setTimeout(function () { toast.remove(); }, 6000);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindNavToggle();
    bindToasts(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { bindToasts(event.target); });
})();
