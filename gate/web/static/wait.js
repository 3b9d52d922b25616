// Polls the login's state and navigates when this browser's session is
// ready; shows a retry link when the login ends any other way.
(function () {
  "use strict";
  var status = document.getElementById("status");
  if (!status) { return; }
  var url = status.getAttribute("data-check");
  var retry = document.getElementById("retry");
  var done = false;
  function finish(text) {
    done = true;
    status.textContent = text;
    if (retry) { retry.hidden = false; }
  }
  function poll() {
    if (done) { return; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "approved" && s.redirect) {
          done = true;
          status.textContent = "Approved. Signing you in…";
          window.location.assign(s.redirect);
        } else if (s.status === "denied") {
          finish("This sign-in was denied.");
        } else if (s.status === "expired") {
          finish("This sign-in request expired.");
        } else if (s.status === "approved") {
          finish("Approved in another browser window.");
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
