// sonic-cms admin: reference fields, an ARIA 1.2 combobox. Typing asks
// GET /admin/lookup/references for up to ten items the user may read; arrow keys move through
// them, Enter (or a click) picks one into the hidden input, Escape closes the list.
// Binds to [data-reference]; runs again after htmx swaps content in.
(function () {
  "use strict";

  var DELAY_MS = 200;

  // The muted line an empty field shows, as the template renders it.
  function note(text) {
    var span = document.createElement("span");
    span.className = "muted";
    span.textContent = text;
    return span;
  }

  function bind(field) {
    if (field.dataset.referenceBound === "true") return;
    field.dataset.referenceBound = "true";
    var value = field.querySelector("[data-reference-value]");
    var search = field.querySelector("[data-reference-search]");
    var listbox = field.querySelector("[data-reference-listbox]");
    var chosen = field.querySelector("[data-reference-chosen]");
    var count = field.querySelector("[data-reference-count]");
    var timer = null;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(listbox.querySelectorAll("[data-reference-option]"));
    }

    function open(isOpen) {
      listbox.hidden = !isOpen;
      search.setAttribute("aria-expanded", isOpen ? "true" : "false");
      if (!isOpen) highlight(-1);
    }

    function highlight(index) {
      var all = options();
      active = index;
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
        option.classList.toggle("combo__option--active", i === index);
      });
      if (index >= 0 && all[index]) {
        search.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        search.removeAttribute("aria-activedescendant");
      }
    }

    function lookup() {
      var params = new URLSearchParams({
        collection: field.dataset.referenceCollection || "",
        q: search.value,
        listbox: listbox.id,
      });
      window.htmx.ajax("GET", "/admin/lookup/references?" + params.toString(), {
        target: listbox,
        swap: "innerHTML",
      });
    }

    function pick(option) {
      value.value = option.dataset.referenceOption;
      value.dispatchEvent(new Event("change", { bubbles: true }));
      search.value = "";
      open(false);
      window.htmx.ajax("GET", "/admin/lookup/references/" + encodeURIComponent(value.value), {
        target: chosen,
        swap: "innerHTML",
      });
    }

    listbox.addEventListener("htmx:afterSwap", function () {
      var found = options().length;
      count.textContent = found === 1 ? "1 match" : found + " matches";
      open(document.activeElement === search);
    });
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, DELAY_MS);
    });
    search.addEventListener("keydown", function (event) {
      var all = options();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (listbox.hidden) { lookup(); return; }
        if (!all.length) return;
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + all.length) % all.length);
      } else if (event.key === "Enter" && !listbox.hidden) {
        event.preventDefault(); // picking, not submitting the editor's form
        if (all[active]) pick(all[active]);
      } else if (event.key === "Escape" && !listbox.hidden) {
        event.preventDefault();
        open(false);
      }
    });
    search.addEventListener("blur", function () {
      window.setTimeout(function () { if (document.activeElement !== search) open(false); }, 150);
    });
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[data-reference-option]");
      if (option) pick(option);
    });
    chosen.addEventListener("click", function (event) {
      if (!event.target.closest("[data-reference-clear]")) return;
      value.value = "";
      value.dispatchEvent(new Event("change", { bubbles: true }));
      chosen.replaceChildren(note("Nothing chosen yet."));
      search.focus();
    });
  }

  function bindAll(root) {
    root.querySelectorAll("[data-reference]").forEach(bind);
  }

  document.addEventListener("DOMContentLoaded", function () { bindAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { bindAll(event.target); });
})();
