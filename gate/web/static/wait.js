// The waiting page: learns the login's fate live from the gate's event
// stream (falling back to polling), collects the session through
// /auth/check when it is approved, and moves on to the page the user
// asked for. A denied or expired login reloads the page, which the server
// renders with the reason and a retry button, or the pause in force.
(function () {
  "use strict";
  var root = document.getElementById("wait");
  if (!root) { return; }
  var eventsURL = root.getAttribute("data-events");
  var checkURL = root.getAttribute("data-check");
  var returnURL = root.getAttribute("data-return") || "/";
  var total = parseInt(root.getAttribute("data-expires"), 10) || 0;
  var deadline = Date.now() + total * 1000;
  var done = root.getAttribute("data-state") !== "pending";
  var collecting = false;
  var stream = null;
  var timer = null;
  var pollTimer = null;
  var seconds = document.getElementById("seconds");
  var bar = document.getElementById("meter-bar");

  function show(state, reason) {
    ["pending", "approved", "denied", "expired"].forEach(function (s) {
      document.getElementById("state-" + s).hidden = s !== state;
    });
    if (state === "denied") {
      var spans = root.querySelectorAll("[data-reason]");
      var matched = false;
      spans.forEach(function (el) {
        var hit = el.getAttribute("data-reason") === reason;
        el.hidden = !hit;
        matched = matched || hit;
      });
      if (!matched) { root.querySelector("[data-reason='denied']").hidden = false; }
    }
    var heading = document.querySelector("#state-" + state + " h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function finish(state, reason) {
    if (done) { return; }
    done = true;
    stop();
    // A refusal may have paused the account's sign-ins (a report, a
    // lockout): the server's page of the ended login says so, with no
    // retry button, or shows the reason and the retry button.
    if (state === "denied" || state === "expired") { window.location.reload(); return; }
    show(state, reason);
    var retry = document.getElementById("retry-row");
    if (retry) { retry.hidden = false; }
  }

  function stop() {
    if (stream) { stream.close(); stream = null; }
    if (timer) { clearInterval(timer); timer = null; }
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
  }

  // go leaves for the page the user asked for; replace() keeps this
  // finished page out of the history.
  function go(url) {
    done = true;
    stop();
    window.location.replace(url || returnURL);
  }

  // answer acts on an /auth/check answer, which for this browser and an
  // approved login has just set the session cookie.
  function answer(s) {
    if (s.status === "approved") { go(s.redirect); return; }
    if (s.status === "denied" || s.status === "expired") { finish(s.status, s.reason); return; }
    collecting = false;
  }

  function collect() {
    if (collecting || done) { return; }
    collecting = true;
    show("approved");
    fetch(checkURL, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(answer)
      .catch(function () { collecting = false; pollTimer = setTimeout(collect, 500); });
  }

  function onStatus(s) {
    if (s.status === "approved") { collect(); return; }
    if (s.status === "denied" || s.status === "expired") { finish(s.status, s.reason); return; }
    if (typeof s.expires_in === "number") { deadline = Date.now() + s.expires_in * 1000; }
  }

  // poll is the fallback when the event stream cannot be held open.
  function poll() {
    if (done) { return; }
    fetch(checkURL, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        answer(s);
        if (!done) { pollTimer = setTimeout(poll, 1000); }
      })
      .catch(function () { pollTimer = setTimeout(poll, 2000); });
  }

  function listen() {
    var errors = 0;
    stream = new EventSource(eventsURL);
    stream.addEventListener("status", function (ev) {
      errors = 0;
      try { onStatus(JSON.parse(ev.data)); } catch (e) { /* ignore a malformed event */ }
    });
    stream.onerror = function () {
      if (done) { return; }
      errors++;
      if (errors >= 3 && stream) {
        stream.close();
        stream = null;
        poll();
      }
    };
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (seconds) { seconds.textContent = String(left); }
    if (bar && total > 0) { bar.style.width = (100 * Math.min(1, left / total)) + "%"; }
  }

  // "Not you?", "Send the request again" and "Cancel" end this login
  // from here: stop listening, so its end does not flash up as
  // "expired" while the browser moves on.
  root.querySelectorAll("form").forEach(function (f) {
    f.addEventListener("submit", function () { done = true; stop(); });
  });

  if (done) { return; }
  tick();
  timer = setInterval(tick, 1000);
  if (window.EventSource) { listen(); } else { poll(); }
})();
