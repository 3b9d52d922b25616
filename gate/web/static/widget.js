// authgate's drop-in login widget, for pages on other origins than the
// gate (the standalone gate lists them in its app's origins). The host
// page needs no inline script or style, so it can keep a strict CSP:
//
//   <div id="authgate-widget" data-app-id="my-app"></div>
//   <script src="https://auth.example.com/.authgate/widget.js" defer></script>
//
// CSP of the host page: script-src and connect-src must allow the gate's
// origin; styles are set through the CSSOM, which style-src does not
// govern. Optional attributes of the div: data-email (skip the email
// field), data-label (the button's text). The widget follows the login
// with server-sent events (polling only if the stream cannot open), shows
// the number to tap on the phone and the outcome, and, when approved,
// fires "authgate:approved" on the div with detail {token, session_id,
// expires_in}: send detail.token to your backend, which checks it with
// GET /auth/verify?token=…&app_id=…. "authgate:denied" and
// "authgate:expired" carry {session_id, reason}. The div's data-state is
// idle, starting, pending, approved, denied, expired or error.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var gate = new URL(script.src).origin;
  var colors = { fg: "#00e5ff", bg: "#0a0e14", ok: "#00e676", bad: "#ff5252" };

  function css(el, props) {
    Object.keys(props).forEach(function (k) { el.style.setProperty(k, props[k]); });
    return el;
  }

  function make(tag, cls, props) {
    var el = document.createElement(tag);
    el.className = cls;
    return css(el, props || {});
  }

  function mount(root) {
    var appID = root.getAttribute("data-app-id") || script.getAttribute("data-app-id") || "";
    var fixedEmail = root.getAttribute("data-email") || "";
    var form = make("form", "authgate-form", { display: "flex", "flex-wrap": "wrap", gap: "8px", "justify-content": "center" });
    var email = make("input", "authgate-email", {
      padding: "10px 12px", "border-radius": "8px", border: "2px solid " + colors.fg,
      background: colors.bg, color: "#e6f7ff", "font-size": "16px", "min-width": "14em"
    });
    email.type = "email";
    email.required = true;
    email.autocomplete = "username";
    email.placeholder = "you@example.com";
    email.setAttribute("aria-label", "Email");
    var button = make("button", "authgate-button", {
      padding: "12px 32px", background: colors.bg, color: colors.fg, border: "2px solid " + colors.fg,
      "border-radius": "8px", "font-size": "16px", "font-weight": "700", cursor: "pointer", "letter-spacing": "2px"
    });
    button.type = "submit";
    button.textContent = root.getAttribute("data-label") || "LOGIN WITH AUTHGATE";
    if (!fixedEmail) { form.appendChild(email); }
    form.appendChild(button);
    var code = make("div", "authgate-code", {
      display: "none", "text-align": "center", "margin-top": "12px", "font-family": "monospace",
      "font-size": "28px", color: colors.fg, "letter-spacing": "6px"
    });
    code.setAttribute("aria-live", "polite");
    var note = make("div", "authgate-note", { "text-align": "center", "margin-top": "6px", "font-size": "14px" });
    note.setAttribute("aria-live", "polite");
    root.textContent = "";
    root.appendChild(form);
    root.appendChild(code);
    root.appendChild(note);

    var stream = null, poll = null, handle = "", busy = false;

    function state(s) { root.setAttribute("data-state", s); }
    function stop() {
      if (stream) { stream.close(); stream = null; }
      if (poll) { clearTimeout(poll); poll = null; }
    }
    function emit(name, detail) {
      root.dispatchEvent(new CustomEvent("authgate:" + name, { detail: detail, bubbles: true }));
    }
    function loginID() { return handle.split(".")[0]; }

    function finish(status, reason, token, expiresIn) {
      stop();
      busy = false;
      button.disabled = false;
      state(status);
      code.style.display = "block";
      code.textContent = status.toUpperCase();
      code.style.color = status === "approved" ? colors.ok : colors.bad;
      note.textContent = status === "approved" ? "" : "You can try again.";
      if (status === "approved") {
        emit("approved", { token: token || "", session_id: loginID(), expires_in: expiresIn || 0 });
      } else {
        emit(status, { session_id: loginID(), reason: reason || "" });
      }
    }

    function fail(message) {
      stop();
      busy = false;
      button.disabled = false;
      state("error");
      note.textContent = message;
      emit("error", { message: message });
    }

    function getJSON(url, opts) {
      return fetch(url, Object.assign({ credentials: "omit", cache: "no-store" }, opts || {}))
        .then(function (r) {
          return r.json().then(function (d) { return { ok: r.ok, status: r.status, d: d }; });
        });
    }

    // collect fetches the token: the first check with the session handle
    // after approval gets it, once.
    function collect() {
      getJSON(gate + "/auth/check/" + encodeURIComponent(handle)).then(function (x) {
        var d = x.d || {};
        if (!x.ok) { fail(d.error || "The gate answered " + x.status + "."); return; }
        if (d.status === "approved") { finish("approved", "", d.token, d.expires_in); return; }
        if (d.status === "denied" || d.status === "expired") { finish(d.status, d.reason); return; }
        poll = setTimeout(collect, 2000);
      }).catch(function () { poll = setTimeout(collect, 2000); });
    }

    function watch() {
      if (!window.EventSource) { collect(); return; }
      stream = new EventSource(gate + "/auth/events/" + encodeURIComponent(handle));
      stream.addEventListener("status", function (e) {
        var s;
        try { s = JSON.parse(e.data); } catch (err) { return; }
        if (s.status === "approved") { stream.close(); stream = null; collect(); }
        if (s.status === "denied" || s.status === "expired") { finish(s.status, s.reason); }
      });
      stream.onerror = function () {
        // A stream the gate refused is closed for good: check by polling.
        if (stream && stream.readyState === EventSource.CLOSED) { stream = null; collect(); }
      };
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) { return; }
      busy = true;
      stop();
      button.disabled = true;
      state("starting");
      note.textContent = "";
      code.style.display = "none";
      getJSON(gate + "/auth/start", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ app_id: appID, email: fixedEmail || email.value })
      }).then(function (x) {
        var d = x.d || {};
        if (!x.ok) { fail(d.error || "The gate answered " + x.status + "."); return; }
        handle = d.session_id;
        state("pending");
        code.style.display = "block";
        code.style.color = colors.fg;
        code.textContent = String(d.code);
        note.textContent = "Tap this number on your phone.";
        watch();
      }).catch(function () { fail("The gate cannot be reached."); });
    });
    state("idle");
  }

  function init() {
    var id = script.getAttribute("data-target") || "authgate-widget";
    var root = document.getElementById(id);
    if (root) { mount(root); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
