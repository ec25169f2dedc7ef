// sonic-cms admin: the API tokens page. The new token's secret gets the focus on load, and its
// Copy button writes it to the clipboard (navigator.clipboard); where the clipboard is not
// available (plain http, an old browser, a refusal) it selects the text for Ctrl+C instead.
(function () {
  "use strict";

  function say(status, text) {
    if (status) status.textContent = text;
  }

  function selectAll(input) {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
  }

  function bind() {
    var heading = document.querySelector("[data-focus-on-load]");
    if (heading) heading.focus();
    document.querySelectorAll("[data-copy-secret]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy-secret"));
      var status = button.closest(".field").querySelector("[data-copy-status]");
      if (!input) return;
      button.addEventListener("click", function () {
        var fallback = function () {
          selectAll(input);
          say(status, "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
        };
        if (!navigator.clipboard || !window.isSecureContext) { fallback(); return; }
        navigator.clipboard.writeText(input.value).then(function () {
          say(status, "Copied to the clipboard.");
        }, fallback);
      });
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
