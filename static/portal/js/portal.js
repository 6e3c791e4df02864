// The portal's own script. Kept in a static file: the Content Security Policy forbids inline code.
(function () {
  "use strict";
  // "Select all" checkboxes: <input type="checkbox" data-select-all="name-of-the-row-boxes">
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) return;
    var name = box.getAttribute("data-select-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (row) {
      row.checked = box.checked;
    });
  });
  // A button with data-confirm asks before it submits its form.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();

// Contractor Registration, "Auto-fill with": copy the business address on the city's record of
// the chosen license into the address fields (the server does the same for empty fields).
(function () {
  "use strict";
  var data = document.getElementById("autofill-data");
  var box = document.getElementById("id_autofill");
  var choice = document.getElementById("id_autofill_from");
  if (!data || !box || !choice) return;
  var addresses = JSON.parse(data.textContent);
  function fill() {
    if (!box.checked) return;
    var address = addresses[choice.value];
    if (!address) return;
    Object.keys(address).forEach(function (name) {
      var field = document.getElementById("id_" + name);
      if (field) field.value = address[name];
    });
  }
  box.addEventListener("change", fill);
  choice.addEventListener("change", fill);
})();

// "Mailing address is the same": hide the mailing fields while it is ticked.
(function () {
  "use strict";
  var same = document.getElementById("id_mailing_same");
  if (!same) return;
  var names = ["mailing_address", "mailing_city", "mailing_state", "mailing_zip"];
  function sync() {
    names.forEach(function (name) {
      var field = document.getElementById("id_" + name);
      if (!field) return;
      var wrapper = field.closest(".mb-3") || field.parentElement;
      wrapper.hidden = same.checked;
    });
  }
  same.addEventListener("change", sync);
  sync();
})();
