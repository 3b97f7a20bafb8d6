// branchflow pages: asks before a step that cannot be taken back (forms marked data-confirm).
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// A form is sent once: a second click while the first is on its way does nothing.
document.addEventListener("submit", function (event) {
  if (event.defaultPrevented) { return; }
  var form = event.target;
  if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
  if ((form.method || "").toLowerCase() === "post") { form.setAttribute("data-sent", "1"); }
});
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-sent]").forEach(function (form) { form.removeAttribute("data-sent"); });
});
// A report that takes a while: say so, but only once the page has been on its way a second (most answer
// sooner, and a note that flashes for a moment is noise).
var BUSY_AFTER_MS = 1000;
document.addEventListener("submit", function (event) {
  var busy = event.target.getAttribute && event.target.getAttribute("data-busy");
  var note = busy && document.getElementById(busy);
  if (note && !event.defaultPrevented) {
    window.setTimeout(function () { note.hidden = false; }, BUSY_AFTER_MS);
  }
});
