// Django admin, made to pass the portal's accessibility checks (axe, WCAG 2.1 AA).
(function () {
  "use strict";
  function labelOf(field) {
    var label = field.id && document.querySelector('label[for="' + field.id + '"]');
    return label ? label.textContent.replace(/[:*]\s*$/, "").trim() : field.getAttribute("aria-label");
  }
  function fix() {
    // An autocomplete field (select2) is a combobox named after the field's label.
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      // (select2 names it by the chosen value's text, which is empty until one is chosen.)
      var box = select.parentElement.querySelector(".select2-selection");
      var name = labelOf(select);
      if (!box || !name) return;
      box.removeAttribute("aria-labelledby");
      box.setAttribute("aria-label", name);
      var chosen = box.querySelector(".select2-selection__rendered");
      if (chosen) chosen.setAttribute("aria-label", name + ": " + (chosen.textContent.trim() || "none chosen"));
    });
    // An inline table wider than a phone scrolls sideways: it can be scrolled from the keyboard.
    document.querySelectorAll(".inline-group").forEach(function (group) {
      if (group.scrollWidth <= group.clientWidth || group.hasAttribute("tabindex")) return;
      var heading = group.querySelector("h2");
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "region");
      if (heading) group.setAttribute("aria-label", heading.textContent.trim());
    });
  }
  // select2 is set up by jQuery's ready callback (after the load event, at times) and redraws
  // its box when a value is chosen: fix again whenever the page's elements change.
  window.addEventListener("load", function () {
    fix();
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  });
  window.addEventListener("resize", fix);
})();
