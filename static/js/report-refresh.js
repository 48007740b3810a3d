// Refresh until the report is ready, but never under someone filling in the form.
(function () {
  var touched = false;
  var form = document.querySelector(".report-request-form");
  if (form) {
    form.addEventListener("input", function () { touched = true; });
  }
  setTimeout(function () { if (!touched) { window.location.reload(); } }, 3000);
})();
