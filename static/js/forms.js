// Small form helpers, loaded on every page (no inline scripts: the pages send a CSP).
"use strict";

// An empty time zone box gets the zone the browser runs in, when it is one we know.
function detectTimezone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("input[data-detect-timezone]").forEach((input) => {
    const known = input.list && input.list.querySelector(`option[value="${CSS.escape(zone || "")}"]`);
    if (!input.value && known) input.value = zone;
  });
}

// <div data-show-when="frequency=weekly"> shows only while that field of its form has that value.
function showWhen() {
  document.querySelectorAll("[data-show-when]").forEach((element) => {
    const [name, value] = element.dataset.showWhen.split("=");
    const form = element.closest("form");
    const update = () => {
      element.hidden = form.elements[name].value !== value;
    };
    form.addEventListener("change", update);
    update();
  });
}

// <input data-hide-when-checked="form-0-excluded"> hides while that checkbox is ticked.
function hideWhenChecked() {
  document.querySelectorAll("[data-hide-when-checked]").forEach((element) => {
    const form = element.form || element.closest("form");
    const box = form.elements[element.dataset.hideWhenChecked];
    const update = () => {
      element.hidden = box.checked;
    };
    box.addEventListener("change", update);
    update();
  });
}

// <form data-confirm="Delete …?"> asks before it is sent.
function confirmBeforeSending() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

detectTimezone();
showWhen();
hideWhenChecked();
confirmBeforeSending();
