// sonic-cms admin: slug fields. While the user has not typed a slug by hand, the slug follows the
// title input (input[name=title]); the server makes it (GET /admin/lookup/slug with the title:
// the one slugify the API uses) and says whether it is free. A hand-typed slug is checked the
// same way. Binds to [data-slug]; runs again after htmx swaps content in.
(function () {
  "use strict";

  var DELAY_MS = 250;

  function bind(field) {
    if (field.dataset.slugBound === "true") return;
    field.dataset.slugBound = "true";
    var input = field.querySelector("[data-slug-input]");
    var status = field.querySelector("[data-slug-status]");
    var form = field.closest("form") || document;
    var title = form.querySelector("input[name='title']");
    var timer = null;

    function ask(params) {
      params.set("collection", field.dataset.slugCollection || "");
      if (field.dataset.slugExclude) params.set("exclude", field.dataset.slugExclude);
      window.htmx.ajax("GET", "/admin/lookup/slug?" + params.toString(), {
        target: status,
        swap: "innerHTML",
      });
    }

    function later(build) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { ask(build()); }, DELAY_MS);
    }

    function fromTitle() {
      return new URLSearchParams({ title: title ? title.value : "" });
    }

    input.addEventListener("input", function () {
      field.dataset.slugAuto = input.value === "" ? "true" : "false";
      later(function () {
        return input.value === "" ? fromTitle() : new URLSearchParams({ slug: input.value });
      });
    });
    if (title) {
      title.addEventListener("input", function () {
        if (field.dataset.slugAuto === "true") later(fromTitle);
      });
    }
    // The status line names the slug the server made from the title: it goes into the input
    // unless the user has started typing their own meanwhile.
    status.addEventListener("htmx:afterSwap", function () {
      var answer = status.querySelector("[data-slug-value]");
      if (answer && field.dataset.slugAuto === "true") input.value = answer.dataset.slugValue;
    });
    if (input.value) ask(new URLSearchParams({ slug: input.value }));
    else if (title && title.value) ask(fromTitle());
  }

  function bindAll(root) {
    root.querySelectorAll("[data-slug]").forEach(bind);
  }

  document.addEventListener("DOMContentLoaded", function () { bindAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { bindAll(event.target); });
})();
