// Conditional questions: a question with data-show-if="<field name>" is shown only while that
// field's answer equals data-show-if-value (the server applies the same rule when it checks the
// answers). Without this script every question shows, with a note saying when it applies.
// Also counts the words of long answers that have a word limit.
(function () {
  function norm(text) { return String(text || "").trim().toLowerCase(); }

  function answerOf(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { values.push(input.value); }
      } else if (input.tagName === "SELECT" && input.multiple) {
        Array.prototype.forEach.call(input.selectedOptions, function (o) { values.push(o.value); });
      } else {
        values.push(input.value);
      }
    });
    return values;
  }

  function refresh(form) {
    var blocks = form.querySelectorAll("[data-show-if]");
    // Several passes so that a question depending on a hidden one is hidden too.
    for (var pass = 0; pass < 5; pass++) {
      blocks.forEach(function (block) {
        var name = block.getAttribute("data-show-if");
        var wanted = norm(block.getAttribute("data-show-if-value"));
        var parent = form.querySelector('[id="field-' + name + '"]');
        var parentHidden = parent && parent.hidden;
        var shown = !parentHidden && answerOf(form, name).some(function (v) { return norm(v) === wanted; });
        block.hidden = !shown;
      });
    }
  }

  function countWords(help) {
    var area = document.getElementById(help.getAttribute("data-word-count-for"));
    if (!area) { return; }
    var base = help.getAttribute("data-base") || help.textContent;
    help.setAttribute("data-base", base);
    function update() {
      var words = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
      help.textContent = base + " (" + words + ")";
      help.classList.toggle("over-limit", words > Number(area.getAttribute("data-word-limit") || 0));
    }
    area.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("[data-questionnaire]").forEach(function (container) {
    var form = container.closest("form") || container;
    container.classList.add("js-conditions");
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
    form.addEventListener("input", function () { refresh(form); });
    container.querySelectorAll("[data-word-count-for]").forEach(countWords);
  });
})();
