// sonic-cms admin: rich-text fields. Quill (static/vendor/quill) edits the HTML; every change is
// copied into the field's hidden input, which the form submits (the server cleans it with nh3).
// Binds to [data-richtext]; runs again after htmx swaps content in.
(function () {
  "use strict";

  var EMPTY = "<p><br></p>";
  // Tab and Shift+Tab move the focus on, as in every other field, instead of indenting or
  // inserting a tab: an editor that keeps the Tab key is a keyboard trap (WCAG 2.1.2).
  var TAB_LEAVES = {
    tab: false,
    indent: false,
    outdent: false,
    "indent code-block": false,
    "outdent code-block": false,
    "remove tab": false,
  };

  // Quill 2.0.3's getSemanticHTML writes every space as &nbsp; (quill issue #4509); a single
  // one is an ordinary space again, runs stay as they are so they still show.
  function semantic(quill) {
    return quill.getSemanticHTML().replace(/(?:&nbsp;)+/g, function (run) {
      return run === "&nbsp;" ? " " : run;
    });
  }

  // Quill turns each <select> of the toolbar into a picker of spans: the select's aria-label
  // lands on a plain span (where it means nothing) and the button that opens the picker, like
  // each of its items, is nameless. Name them after the select and its options, and keep the
  // button's name saying the current choice ("Text style: Heading 2").
  function namePickers(toolbar, quill) {
    toolbar.querySelectorAll(".ql-picker").forEach(function (picker) {
      var select = picker.nextElementSibling;
      var name = picker.getAttribute("aria-label") || "Style";
      picker.removeAttribute("aria-label");
      var button = picker.querySelector(".ql-picker-label");
      var texts = select ? Array.prototype.map.call(select.options, function (o) { return o.text; }) : [];
      picker.querySelectorAll(".ql-picker-item").forEach(function (item, i) {
        if (texts[i]) item.setAttribute("aria-label", texts[i]);
      });
      function update() {
        var chosen = select && select.selectedIndex >= 0 ? texts[select.selectedIndex] : "";
        button.setAttribute("aria-label", chosen ? name + ": " + chosen : name);
      }
      update();
      quill.on("editor-change", update);
    });
  }

  function bind(field) {
    if (field.dataset.richtextBound === "true" || typeof window.Quill !== "function") return;
    field.dataset.richtextBound = "true";
    var input = field.querySelector("[data-richtext-value]");
    var host = field.querySelector("[data-richtext-editor]");
    var toolbar = field.querySelector("[data-richtext-toolbar]");
    var quill = new window.Quill(host, {
      theme: "snow",
      modules: { toolbar: toolbar, keyboard: { bindings: TAB_LEAVES } },
      formats: ["header", "bold", "italic", "link", "list", "blockquote", "code-block"],
    });
    if (input.value) {
      quill.setContents(quill.clipboard.convert({ html: input.value }), "silent");
    }
    namePickers(toolbar, quill);
    var editable = quill.root;
    editable.setAttribute("role", "textbox");
    editable.setAttribute("aria-multiline", "true");
    editable.setAttribute("aria-labelledby", host.dataset.labelledby);
    if (host.dataset.describedby) editable.setAttribute("aria-describedby", host.dataset.describedby);
    if (host.dataset.invalid) editable.setAttribute("aria-invalid", "true");
    quill.on("text-change", function () {
      var html = semantic(quill);
      input.value = html === EMPTY || quill.getLength() <= 1 ? "" : html;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    // The label points at the editor's host; a click on it puts the caret in the editor.
    var label = field.querySelector("label[for='" + host.id + "']");
    if (label) label.addEventListener("click", function () { quill.focus(); });
  }

  function bindAll(root) {
    root.querySelectorAll("[data-richtext]").forEach(bind);
  }

  document.addEventListener("DOMContentLoaded", function () { bindAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { bindAll(event.target); });
})();
