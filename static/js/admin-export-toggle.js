// The admin export page's "Select all" box, bound here because the Content-Security-Policy
// allows no inline onchange (django-import-export's own script defines onSelectToggleChange).
document.addEventListener("change", function (event) {
  if (event.target.classList && event.target.classList.contains("select-toggle") && window.onSelectToggleChange) {
    window.onSelectToggleChange(event);
  }
});
