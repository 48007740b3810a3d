// A financial report's totals as the grantee types: spent to date (the sum of the budget lines)
// and the unspent balance (received minus spent). The server computes the same when it saves;
// this only saves a round trip. Amounts that are not plain numbers are left out (the server says why).
(function () {
  var box = document.querySelector(".gr-report-form .gr-money");
  var table = document.querySelector(".gr-budget");
  if (!box || !table) { return; }
  var paid = parseFloat(box.getAttribute("data-paid")) || 0;
  var currency = box.getAttribute("data-currency");
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "currency", currency: currency, currencyDisplay: "code" });
  function update() {
    var spent = 0;
    table.querySelectorAll('input[name$="-amount"]').forEach(function (input) {
      var text = input.value.trim();
      if (/^\d+(\.\d+)?$/.test(text)) { spent += parseFloat(text); }
    });
    box.querySelector("[data-spent]").textContent = format.format(spent);
    box.querySelector("[data-unspent]").textContent = format.format(paid - spent);
  }
  table.addEventListener("input", update);
  update();
})();
