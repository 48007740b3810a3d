// Moves focus to the list of problems, so keyboard and screen-reader users start there.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
