// The form editor: show only the settings the chosen kind of question uses (limits for numbers,
// choices for choice questions...). Without this script every setting shows; the server ignores
// the ones a kind does not use.
(function () {
  document.querySelectorAll("[data-question-fields]").forEach(function (block) {
    var kind = block.querySelector('select[name$="kind"]');
    if (!kind) { return; }
    function refresh() {
      block.querySelectorAll("[data-kinds]").forEach(function (field) {
        var kinds = field.getAttribute("data-kinds").split(" ");
        field.hidden = kinds.indexOf(kind.value) === -1;
      });
    }
    kind.addEventListener("change", refresh);
    refresh();
  });
})();
