// Vessel dashboard: ask before a form marked data-confirm is sent, and say it was confirmed (without
// this script the server asks on a page of its own instead). Pages work without this script.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (!question) { return; }
  if (!window.confirm(question)) {
    event.preventDefault();
    return;
  }
  var confirmed = document.createElement("input");
  confirmed.type = "hidden";
  confirmed.name = "confirmed";
  confirmed.value = "yes";
  form.appendChild(confirmed);
}, true);

// An operation the server refused (sent by htmx, which swaps nothing on an error): say why, in the
// page's alert region, from the reason the error page gives.
document.addEventListener("htmx:responseError", function (event) {
  var flash = document.getElementById("flash");
  if (!flash) { return; }
  var page = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
  var reason = page.querySelector("[role=alert]");
  flash.textContent = reason ? reason.textContent : "The server refused: " + event.detail.xhr.status;
  flash.hidden = false;
});
