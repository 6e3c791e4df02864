// The portal's own script. Kept in a static file: the Content Security Policy forbids inline code.
// Its words go through gettext: the JavaScript catalogue (portal.javascript_catalogue), linked
// before this script, defines it; without it (a page that does not link it), the English words.
var gettext = window.gettext || function (text) { return text; };
var interpolate = window.interpolate || function (text, values) {
  var next = 0;
  return text.replace(/%s/g, function () { return String(values[next++]); });
};
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

// Online application, Details step: a question that applies only with an earlier answer is
// hidden until that answer is given (without the script, each says what it depends on).
(function () {
  "use strict";
  var form = document.querySelector(".application-details");
  if (!form) return;
  document.documentElement.classList.add("js");
  function answerOf(name) {
    var values = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      values.push(input.value);
    });
    return values;
  }
  function sync() {
    // In order: a question hidden hides the ones that depend on it.
    var hidden = {};
    form.querySelectorAll(".question").forEach(function (question) {
      var on = question.getAttribute("data-show-if");
      var show = true;
      if (on) {
        show = !hidden[on] && answerOf(on).indexOf(question.getAttribute("data-show-value")) !== -1;
      }
      question.classList.toggle("question-hidden", !show);
      question.querySelectorAll(".depends-note").forEach(function (note) { note.hidden = true; });
      if (!show) hidden["q_" + question.id] = true;
    });
  }
  form.addEventListener("change", sync);
  sync();
})();

// Online application, Location step: addresses of the city's permits offered as the street is
// typed (a datalist; any other address may be typed).
(function () {
  "use strict";
  var form = document.querySelector("form[data-address-lookup]");
  if (!form) return;
  var street = document.getElementById("id_street_name");
  var list = document.getElementById("address-suggestions");
  if (!street || !list) return;
  var found = {};
  var timer = null;
  function fill(address) {
    ["street_number", "unit", "city", "state", "zip_code", "parcel_number"].forEach(function (name) {
      var field = document.getElementById("id_" + name);
      if (field && address[name]) field.value = address[name];
    });
    street.value = address.street_name;
  }
  street.addEventListener("input", function () {
    var picked = found[street.value];
    if (picked) { fill(picked); return; }
    var number = document.getElementById("id_street_number");
    var text = ((number && number.value ? number.value + " " : "") + street.value).trim();
    if (text.length < 3) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.getAttribute("data-address-lookup") + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) { return response.ok ? response.json() : { addresses: [] }; })
        .then(function (data) {
          list.textContent = "";
          found = {};
          data.addresses.forEach(function (address) {
            var label = address.label + (address.parcel_number
              ? " " + interpolate(gettext("(parcel %s)"), [address.parcel_number]) : "");
            var option = document.createElement("option");
            option.value = label;
            list.appendChild(option);
            found[label] = address;
          });
        }).catch(function () { /* suggestions are a help, not a need */ });
    }, 200);
  });
})();

// Online application, every step, and Contractor Registration: the list of what to fix is read
// first (focus moves to it). A step of the list clicked with changes on the page saves them
// first (without the script the link is a plain link: "Save and go back" and the step buttons
// save); Enter in a new contact's fields adds the contact.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var buttons = document.querySelector(".step-buttons");
  var form = buttons && buttons.closest("form");
  if (!form) return;
  var changed = false;
  form.addEventListener("input", function () { changed = true; });
  form.addEventListener("change", function () { changed = true; });
  document.querySelectorAll(".application-steps a[data-step]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!changed) return;
      event.preventDefault();
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "goto:" + link.getAttribute("data-step");
      form.appendChild(action);
      form.submit();
    });
  });
  var contact = form.querySelector(".contact-fields");
  var add = form.querySelector('button[value="add_contact"]');
  if (contact && add) {
    contact.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.tagName === "TEXTAREA") return;
      event.preventDefault();
      add.click();
    });
  }
})();

// Corrections: Resubmit is enabled once every item that needs a response has one (as typed;
// without the script, once the responses are saved).
(function () {
  "use strict";
  var form = document.querySelector(".corrections-form");
  var button = document.getElementById("resubmit");
  if (!form || !button) return;
  var boxes = form.querySelectorAll("textarea.needs-response");
  function sync() {
    var missing = 0;
    boxes.forEach(function (box) { if (!box.value.trim()) missing += 1; });
    button.disabled = missing > 0;
  }
  boxes.forEach(function (box) { box.addEventListener("input", sync); });
  sync();
})();

// The phone's menu button: Bootstrap's collapse, the only part of Bootstrap's script a page used
// (its 80 KB bundle is no longer sent).
(function () {
  "use strict";
  document.querySelectorAll('[data-bs-toggle="collapse"]').forEach(function (button) {
    var target = document.querySelector(button.getAttribute("data-bs-target"));
    if (!target) return;
    button.addEventListener("click", function () {
      var open = target.classList.toggle("show");
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.classList.toggle("collapsed", !open);
    });
  });
})();
