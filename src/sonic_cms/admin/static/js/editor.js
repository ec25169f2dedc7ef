// sonic-cms admin: the content editor's behaviours, bound to data attributes (the CSP allows no
// inline script). Repeaters (arrays and blocks): add an entry cloned from its <template>, remove
// it, move it up or down; the order the entries stand in is the order the form submits their
// keys (<array>[]), so no renumbering of names is needed. Colour fields: a picker beside the
// text input. The unsaved-changes warning (beforeunload) and the autosave every ~10 s to the
// user's working copy (POST <data-autosave-url> with the CSRF header).
(function () {
  "use strict";

  var AUTOSAVE_MS = 10000;
  var counter = 0;

  function live(form, text) {
    var region = form && form.querySelector("[data-editor-live]");
    if (region) region.textContent = text;
  }

  function directEntries(repeater) {
    var list = repeater.querySelector("[data-repeater-list]");
    return list ? Array.prototype.filter.call(list.children, function (el) {
      return el.hasAttribute("data-repeater-entry");
    }) : [];
  }

  function entryLabel(entry) {
    return entry.getAttribute("data-entry-label") || "Entry";
  }

  // Position numbers and the tools' names follow the entries' order.
  function renumber(repeater) {
    var entries = directEntries(repeater);
    entries.forEach(function (entry, index) {
      var number = String(index + 1);
      var fieldset = entry.firstElementChild;
      var legend = fieldset && fieldset.querySelector(":scope > legend [data-repeater-number]");
      if (legend) legend.textContent = number;
      var label = entryLabel(entry) + " " + number;
      var tools = fieldset && fieldset.querySelector(":scope > .repeater__tools");
      if (!tools) return;
      tools.querySelector("[data-repeater-up]").setAttribute("aria-label", "Move " + label + " up");
      tools.querySelector("[data-repeater-down]").setAttribute("aria-label", "Move " + label + " down");
      tools.querySelector("[data-repeater-remove]").setAttribute("aria-label", "Remove " + label);
    });
    var empty = repeater.querySelector(":scope > [data-repeater-empty]");
    if (empty) empty.hidden = entries.length > 0;
  }

  function changed(form) {
    if (form) form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function addEntry(repeater) {
    var chooser = repeater.querySelector(":scope > .repeater__add [data-repeater-type]");
    var type = chooser ? chooser.value : "";
    var template = Array.prototype.find.call(
      repeater.querySelectorAll(":scope > template[data-repeater-template]"),
      function (t) { return t.getAttribute("data-repeater-template") === type; }
    );
    if (!template) return;
    counter += 1;
    var key = "n" + Date.now().toString(36) + counter;
    var html = template.innerHTML.split(repeater.getAttribute("data-placeholder")).join(key);
    var list = repeater.querySelector("[data-repeater-list]");
    list.insertAdjacentHTML("beforeend", html);
    renumber(repeater);
    var entry = list.lastElementChild;
    var first = entry.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
    var form = repeater.closest("form");
    live(form, entryLabel(entry) + " " + directEntries(repeater).length + " added");
    changed(form);
  }

  function removeEntry(entry) {
    var repeater = entry.closest("[data-repeater]");
    var form = entry.closest("form");
    var entries = directEntries(repeater);
    var index = entries.indexOf(entry);
    var label = entryLabel(entry) + " " + (index + 1);
    entry.remove();
    renumber(repeater);
    var rest = directEntries(repeater);
    var next = rest[Math.min(index, rest.length - 1)];
    var focus = next ? next.querySelector("[data-repeater-remove]")
      : repeater.querySelector("[data-repeater-add]");
    if (focus) focus.focus();
    live(form, label + " removed");
    changed(form);
  }

  function moveEntry(entry, up) {
    var sibling = up ? entry.previousElementSibling : entry.nextElementSibling;
    if (!sibling) return;
    var focused = document.activeElement;
    if (up) sibling.before(entry); else sibling.after(entry);
    var repeater = entry.closest("[data-repeater]");
    renumber(repeater);
    if (focused) focused.focus();
    var form = entry.closest("form");
    var position = directEntries(repeater).indexOf(entry) + 1;
    live(form, entryLabel(entry) + " moved to position " + position);
    changed(form);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-repeater-add], [data-repeater-remove], [data-repeater-up], [data-repeater-down]");
    if (!button || button.disabled) return;
    event.preventDefault();
    if (button.hasAttribute("data-repeater-add")) {
      addEntry(button.closest("[data-repeater]"));
      return;
    }
    var entry = button.closest("[data-repeater-entry]");
    if (button.hasAttribute("data-repeater-remove")) removeEntry(entry);
    else moveEntry(entry, button.hasAttribute("data-repeater-up"));
  });

  // Colour fields: the picker writes the text input, a full #rrggbb typed moves the picker.
  document.addEventListener("input", function (event) {
    var target = event.target;
    var field = target.closest && target.closest("[data-color-field]");
    if (!field) return;
    var text = field.querySelector(".color-field__text");
    var picker = field.querySelector("[data-color-picker]");
    if (target === picker) {
      text.value = picker.value;
    } else if (/^#[0-9a-fA-F]{6}$/.test(text.value)) {
      picker.value = text.value.toLowerCase();
    }
  });

  function bindEditor(form) {
    if (form.hasAttribute("data-editor-bound")) return;
    form.setAttribute("data-editor-bound", "");
    var dirty = false;
    var unsaved = false; // changed since the last autosave
    var sending = false;
    function mark() { dirty = true; unsaved = true; }
    form.addEventListener("input", mark);
    form.addEventListener("change", mark);
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
    var url = form.getAttribute("data-autosave-url");
    if (!url) return;
    var status = form.querySelector("[data-autosave-status]");
    var token = form.querySelector("input[name=csrf_token]");
    window.setInterval(function () {
      if (!unsaved || sending) return;
      sending = true;
      unsaved = false;
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRF-Token": token ? token.value : "" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) unsaved = true;
          if (status) status.textContent = response.ok ? text : "Autosave failed: " + text.slice(0, 200);
        });
      }).catch(function () {
        unsaved = true;
        if (status) status.textContent = "Autosave failed: the server did not answer.";
      }).then(function () { sending = false; });
    }, AUTOSAVE_MS);
  }

  function bindAll(root) {
    root.querySelectorAll("form[data-editor]").forEach(bindEditor);
  }

  document.addEventListener("DOMContentLoaded", function () { bindAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { bindAll(event.target); });
})();
