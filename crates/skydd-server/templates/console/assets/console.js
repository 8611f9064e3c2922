// Skydd console: progressive enhancement only. Every page works without this script.
// Served from /console/assets/console.js (same origin; the CSP allows no inline script).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A form with data-confirm asks before it is sent (the server asks again where it matters).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
  // A one-time code field: digits only on phones' keyboards, focus on the first field.
  const first = document.querySelector("[data-autofocus]");
  if (first) {
    first.focus();
  }
});
