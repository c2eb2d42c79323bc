/* Every page: behaviour the templates would otherwise write inline (the CSP forbids inline
 * handlers). A control with data-autosubmit sends its form when changed (the language
 * choice); a button with data-print prints the page; a folded <details> that the address
 * names (…#raise) opens, as the address asks to show it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-autosubmit]").forEach(function (control) {
    control.addEventListener("change", function () { control.form.submit(); });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  function openTheNamedDetails() {
    var named = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (named && named.tagName === "DETAILS") named.open = true;
  }
  openTheNamedDetails();
  window.addEventListener("hashchange", openTheNamedDetails);
})();
