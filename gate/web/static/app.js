// The approver app. It keeps this phone's ECDSA P-256 key pair (made
// non-extractable with WebCrypto) in IndexedDB, enrols it with a one-time
// link (#enroll=<token>), lists the sign-ins waiting for its user live
// from a signed event stream (polling /device/pending when the stream
// cannot be held), and signs every request and decision with the key.
// The protocol is the one documented in the device package, byte for byte.
(function () {
  "use strict";
  var root = document.getElementById("app");
  if (!root) { return; }
  var prefix = root.getAttribute("data-prefix");
  var dbKey = "device:" + prefix;
  var utf8 = new TextEncoder();
  var EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  var views = ["loading", "setup", "handoff", "replace", "enrolling", "recovery", "error", "revoked", "main"];
  var dev = null;           // {id, email, name, created, keys, otp: {key, digits, period}}
  var stream = null;        // the open EventSource
  var failures = 0;         // stream failures in a row
  var pollTimer = null;
  var retryTimer = null;
  var clockOffset = 0;      // server clock minus this phone's, in ms
  var cards = {};           // session id -> {li, deadline, selected, busy}
  var retryAction = null;

  function $(id) { return document.getElementById(id); }

  function show(view) {
    views.forEach(function (v) { $("view-" + v).hidden = v !== view; });
  }

  function fail(title, text, retry) {
    $("error-title").textContent = title;
    $("error-text").textContent = text;
    retryAction = retry || null;
    $("error-retry").hidden = !retry;
    show("error");
  }

  // ---- encodings and signatures ----

  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function now() { return Date.now() + clockOffset; }

  // sign returns base64url of the raw r||s ECDSA P-256 SHA-256 signature.
  function sign(text) {
    return crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, dev.keys.privateKey, utf8.encode(text))
      .then(function (sig) { return b64url(new Uint8Array(sig)); });
  }

  function requestMessage(method, target, ts, bodyHash) {
    return ["authgate-request-v1", method, target, String(ts), bodyHash].join("\n");
  }

  // learnClock keeps the offset to the server's clock when it is off by
  // more than a few seconds, so signatures are not refused as stale.
  function learnClock(resp) {
    var d = Date.parse(resp.headers.get("Date") || "");
    if (!isNaN(d) && Math.abs(d - Date.now()) > 5000) { clockOffset = d - Date.now(); }
  }

  function ApiError(status, message) {
    this.status = status;
    this.message = message || ("HTTP " + status);
  }

  // signedFetch sends a request signed with the device key (headers
  // form) and returns its JSON answer.
  function signedFetch(method, path, payload, retried) {
    var body = payload === undefined ? "" : JSON.stringify(payload);
    var bytes = utf8.encode(body);
    var ts = now();
    return crypto.subtle.digest("SHA-256", bytes).then(function (h) {
      return sign(requestMessage(method, path, ts, hex(h)));
    }).then(function (sig) {
      var headers = {
        "Accept": "application/json",
        "X-Authgate-Device": dev.id,
        "X-Authgate-Timestamp": String(ts),
        "X-Authgate-Device-Signature": sig
      };
      if (body) { headers["Content-Type"] = "application/json"; }
      return fetch(path, { method: method, headers: headers, body: body || undefined, cache: "no-store", credentials: "omit" });
    }).then(function (resp) {
      learnClock(resp);
      return resp.json().catch(function () { return null; }).then(function (data) {
        if (resp.ok) { return data; }
        var msg = data && data.error;
        if (resp.status === 401 && /timestamp/.test(msg || "") && !retried) {
          return signedFetch(method, path, payload, true);
        }
        if (resp.status === 401 && /unknown or revoked device/.test(msg || "")) { revoked(); }
        throw new ApiError(resp.status, msg);
      });
    });
  }

  // ---- IndexedDB: the key pair never leaves this browser ----

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("authgate", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("devices"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function dbDo(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("devices", mode);
        var req = fn(tx.objectStore("devices"));
        tx.oncomplete = function () { d.close(); resolve(req.result); };
        tx.onerror = function () { d.close(); reject(tx.error); };
      });
    });
  }

  function loadDevice() { return dbDo("readonly", function (s) { return s.get(dbKey); }); }
  function saveDevice(d) { return dbDo("readwrite", function (s) { return s.put(d, dbKey); }); }
  function forgetDevice() { return dbDo("readwrite", function (s) { return s.delete(dbKey); }); }

  // ---- enrolment ----

  function defaultName() {
    var ua = navigator.userAgent;
    if (/iPhone/.test(ua)) { return "iPhone"; }
    if (/iPad/.test(ua)) { return "iPad"; }
    if (/Android/.test(ua)) { return "Android phone"; }
    return "Phone";
  }

  function enroll(token) {
    show("enrolling");
    var keys;
    return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
      .then(function (k) {
        keys = k;
        $("enroll-status").textContent = "Registering this phone…";
        return crypto.subtle.exportKey("spki", k.publicKey);
      })
      .then(function (spki) {
        return fetch(prefix + "/device/enroll", {
          method: "POST", cache: "no-store", credentials: "omit",
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: JSON.stringify({ token: token, public_key: b64url(new Uint8Array(spki)), name: defaultName() })
        });
      })
      .then(function (resp) {
        return resp.json().catch(function () { return null; }).then(function (data) {
          if (resp.status === 404) {
            throw new ApiError(404, "This enrolment link was already used or has expired. Ask your administrator for a new one.");
          }
          if (!resp.ok || !data) { throw new ApiError(resp.status, (data && data.error) || "The gate refused the enrolment."); }
          return data;
        });
      })
      .then(function (data) {
        dev = { id: data.device_id, email: data.email, name: data.name, created: new Date().toISOString(), keys: keys };
        recoveryCodes = data.recovery_codes || [];
        if (!data.otp_secret || !window.authgateOTP) { return saveDevice(dev); }
        // The secret becomes a key that cannot be read back, like the
        // signing key; the bytes are dropped with the response.
        return authgateOTP.importSecret(data.otp_secret, data.otp_algorithm || "SHA-256").then(function (k) {
          dev.otp = { key: k, digits: data.otp_digits || 6, period: data.otp_period || 30 };
          return saveDevice(dev);
        });
      })
      .then(function () {
        if (recoveryCodes.length) { showRecovery(recoveryCodes); } else { main(); }
      })
      .catch(function (e) {
        var retry = e instanceof ApiError && e.status === 404 ? null : function () { enroll(token); };
        fail("Setup failed", e.message || String(e), retry);
      });
  }

  // enrollAsked enrols with token, but first asks when this browser
  // already holds a device: enrolling replaces its key, so a link someone
  // sends the user cannot silently turn her phone into a device of their
  // account (and take away her own). Keeping changes nothing and leaves
  // the link unspent.
  function enrollAsked(token) {
    return loadDevice().catch(function () { return null; }).then(function (d) {
      if (!d || !d.keys || !d.id) { enroll(token); return; }
      dev = d;
      $("replace-email").textContent = d.email || "its account";
      $("replace-email-again").textContent = d.email || "that account";
      $("replace-keep").onclick = function () { main(); };
      $("replace-go").onclick = function () { enroll(token); };
      show("replace");
    });
  }

  // ---- recovery codes, shown once after the first enrolment ----

  var recoveryCodes = [];
  function showRecovery(codes) {
    var list = $("recovery-list");
    list.textContent = "";
    codes.forEach(function (c) {
      var li = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = c;
      li.appendChild(code);
      list.appendChild(li);
    });
    show("recovery");
  }

  // ---- offline codes: "Show a code" ----

  var otpTimer = null;
  var otpUntil = 0;
  function hideCode() {
    if (otpTimer) { clearInterval(otpTimer); otpTimer = null; }
    $("otp-box").hidden = true;
    $("show-code").textContent = "Show a code";
  }
  function tickCode() {
    if (!dev || !dev.otp || Date.now() > otpUntil) { hideCode(); return; }
    authgateOTP.code(dev.otp.key, dev.otp.digits, dev.otp.period, now()).then(function (c) {
      $("otp-code").textContent = c.code.slice(0, 3) + " " + c.code.slice(3);
      $("otp-code").setAttribute("data-code", c.code);
      $("otp-left").textContent = c.left + " s left";
    });
  }
  function toggleCode() {
    if (otpTimer) { hideCode(); return; }
    otpUntil = Date.now() + 120000;
    $("otp-box").hidden = false;
    $("show-code").textContent = "Hide the code";
    tickCode();
    otpTimer = setInterval(tickCode, 1000);
  }

  // ---- the main view ----

  function setConn(state, text) {
    var c = $("conn");
    c.setAttribute("data-state", state);
    c.textContent = text;
    $("offline-hint").hidden = !(state === "offline" && !$("show-code").hidden);
    showEmpty();
  }

  // showEmpty shows "no sign-in is waiting" when no card is shown and the
  // app is not saying it cannot reach the service.
  function showEmpty() {
    $("empty").hidden = Object.keys(cards).length > 0 || !$("offline-hint").hidden;
  }

  function showMe() {
    $("me-email").textContent = dev.email;
    $("me-name").textContent = dev.name;
    $("me-id").textContent = dev.id;
    $("rename").value = dev.name;
    if (dev.created) { $("me-since").textContent = "Enrolled " + fullTime(new Date(dev.created)); }
  }

  // announce tells push.js (notifications) what the app learns: the
  // device is ready ("device"), its record ("me"), the waiting requests
  // ("pending").
  var approver = { prefix: prefix, signedFetch: signedFetch };
  function announce(what, detail) {
    approver[what] = detail;
    window.authgateApprover = approver;
    document.dispatchEvent(new CustomEvent("authgate:" + what, { detail: detail }));
  }

  function main() {
    show("main");
    showMe();
    announce("device", null);
    welcome();
    showHistory();
    $("show-code").hidden = !(dev.otp && window.authgateOTP);
    signedFetch("GET", prefix + "/device/me").then(function (me) {
      dev.name = me.name;
      dev.email = me.email;
      dev.created = me.created_at;
      showMe();
      announce("me", me);
      return saveDevice(dev);
    }).catch(function () { /* shown by the stream's state */ });
    connect();
  }

  // flash shows the result of the last action in a banner that stays
  // until it is dismissed, the next result replaces it or the next
  // request arrives.
  function flash(text, kind) {
    var r = $("result");
    $("result-text").textContent = text;
    r.setAttribute("data-kind", kind || "");
    r.hidden = false;
  }

  // welcome says "this phone is set up" on the first visit after
  // enrolment only; the device record remembers that it was shown.
  function welcome() {
    if (dev.welcomed) { $("welcome").hidden = true; return; }
    $("welcome").hidden = false;
    dev.welcomed = true;
    saveDevice(dev).catch(function () { /* shown again next time */ });
  }

  // ---- a short history of the requests this phone saw ----

  var historyKey = "authgate:history:" + prefix;
  var historyMax = 8;

  function loadHistory() {
    try { return JSON.parse(localStorage.getItem(historyKey) || "[]") || []; } catch (e) { return []; }
  }

  function remember(card, result) {
    if (card.remembered) { return; }
    card.remembered = true;
    var list = loadHistory().filter(function (h) { return h.id !== card.id; });
    list.unshift({ id: card.id, site: card.site, from: card.from, browser: card.browser, at: card.at, result: result, decided: new Date().toISOString() });
    try { localStorage.setItem(historyKey, JSON.stringify(list.slice(0, historyMax))); } catch (e) { /* not kept */ }
    showHistory();
  }

  var resultWords = { approved: "Approved", denied: "Denied", reported: "Denied and reported", wrong: "Denied (wrong number)", expired: "Expired", elsewhere: "Withdrawn or answered elsewhere" };

  function showHistory() {
    var list = loadHistory();
    var ul = $("history");
    ul.textContent = "";
    list.forEach(function (h) {
      var li = document.createElement("li");
      li.className = "item history-item";
      var what = document.createElement("div");
      what.className = "what";
      var strong = document.createElement("strong");
      strong.textContent = (resultWords[h.result] || h.result) + " · " + (h.site || "Sign-in");
      strong.className = "hist-" + (h.result === "approved" ? "ok" : "bad");
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = [h.browser, h.from, fullTime(new Date(h.at))].filter(Boolean).join(" · ");
      what.appendChild(strong);
      what.appendChild(meta);
      li.appendChild(what);
      ul.appendChild(li);
    });
    $("history-box").hidden = list.length === 0;
  }

  // Times read as on the gate's pages: day, month and year, a 24-hour
  // clock to the minute, and the zone named, "3 Dec 2026, 19:00 UTC".
  // The zone is this phone's own (named as its language names it, e.g.
  // "CET" or "GMT+5:30"): where it is UTC, the app's times read exactly
  // like the pages'.
  var monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function zoneName(d) {
    try {
      var parts = new Intl.DateTimeFormat([], { timeZoneName: "short" }).formatToParts(d);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") { return parts[i].value; }
      }
    } catch (e) { /* named by its offset below */ }
    var off = -d.getTimezoneOffset();
    return off === 0 ? "UTC" : "UTC" + (off > 0 ? "+" : "-") + Math.floor(Math.abs(off) / 60) + (Math.abs(off) % 60 ? ":" + two(Math.abs(off) % 60) : "");
  }

  // clockTime is "19:00 UTC".
  function clockTime(d) {
    return two(d.getHours()) + ":" + two(d.getMinutes()) + " " + zoneName(d);
  }

  // fullTime is "3 Dec 2026, 19:00 UTC".
  function fullTime(d) {
    if (isNaN(d.getTime())) { return "unknown"; }
    return d.getDate() + " " + monthNames[d.getMonth()] + " " + d.getFullYear() + ", " + clockTime(d);
  }

  // laterTime is a time soon to come: the clock alone today, the date
  // too on another day.
  function laterTime(d) {
    var today = new Date();
    var sameDay = d.getDate() === today.getDate() && d.getMonth() === today.getMonth() && d.getFullYear() === today.getFullYear();
    return sameDay ? clockTime(d) : fullTime(d);
  }

  function revoked() {
    stopStream();
    stopPolling();
    show("revoked");
  }

  // ---- live updates: a signed EventSource, polling as the fallback ----

  function stopStream() {
    if (stream) { stream.close(); stream = null; }
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
  }

  function connect() {
    stopStream();
    if (!window.EventSource) { startPolling(); return; }
    var path = prefix + "/device/events";
    var ts = now();
    sign(requestMessage("GET", path, ts, EMPTY_SHA256)).then(function (sig) {
      var es = new EventSource(path + "?ag_device=" + encodeURIComponent(dev.id) + "&ag_ts=" + ts + "&ag_sig=" + sig);
      stream = es;
      es.addEventListener("open", function () {
        failures = 0;
        stopPolling();
        setConn("live", "Live");
      });
      es.addEventListener("pending", function (ev) {
        try { render(JSON.parse(ev.data).logins || []); } catch (e) { /* ignore a malformed event */ }
      });
      es.addEventListener("revoked", revoked);
      // The server ends a stream after a while; a new one needs a fresh
      // signature, which EventSource's own reconnect cannot make.
      es.addEventListener("reconnect", function () { if (stream === es) { connect(); } });
      es.onerror = function () {
        es.close();
        if (stream !== es) { return; }
        stream = null;
        failures++;
        if (failures >= 2) { startPolling(); } else { setConn("connecting", "Reconnecting…"); }
        retryTimer = setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, failures - 1)));
      };
    });
  }

  function startPolling() {
    if (pollTimer) { return; }
    setConn("polling", "Checking every 2 s");
    var poll = function () {
      signedFetch("GET", prefix + "/device/pending").then(function (data) {
        render(data.logins || []);
        if (pollTimer) { setConn("polling", "Checking every 2 s"); }
      }).catch(function (e) {
        if (!(e instanceof ApiError)) { setConn("offline", "Offline"); }
      }).then(function () {
        if (pollTimer) { pollTimer = setTimeout(poll, 2000); }
      });
    };
    pollTimer = setTimeout(poll, 0);
  }

  function stopPolling() {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
  }

  // ---- the request cards ----

  function render(logins) {
    var seen = {};
    var added = false;
    logins.forEach(function (l) {
      seen[l.session_id] = true;
      if (!cards[l.session_id]) { addCard(l); added = true; }
    });
    // A new request is what the phone is for now: the notices above it
    // ("this phone is set up", the last result) were about before.
    if (added) {
      $("welcome").hidden = true;
      $("result").hidden = true;
    }
    Object.keys(cards).forEach(function (id) {
      if (!seen[id] && !cards[id].busy) {
        var c = cards[id];
        remember(c, c.deadline <= Date.now() ? "expired" : "elsewhere");
        removeCard(id);
      }
    });
    showEmpty();
    announce("pending", Object.keys(cards));
  }

  function shortAgent(ua) {
    ua = ua || "";
    return ua.length > 40 ? ua.slice(0, 40) + "…" : (ua || "Unknown browser");
  }

  function addCard(l) {
    var li = $("request-tpl").content.firstElementChild.cloneNode(true);
    var id = l.session_id;
    var card = { li: li, selected: null, busy: false, remembered: false };
    var deadline = typeof l.expires_in_ms === "number" ? Date.now() + l.expires_in_ms : Date.parse(l.expires_at) - clockOffset;
    card.deadline = deadline;
    li.setAttribute("data-id", id);
    var site = l.site_title || l.app_id || "";
    var from = l.from || l.client_ip || "an unknown address";
    var created = new Date(Date.parse(l.created_at) - clockOffset);
    card.id = id;
    card.site = site;
    card.from = from;
    card.browser = l.browser || shortAgent(l.user_agent);
    card.at = created.toISOString();
    li.querySelector(".req-site").textContent = site ? "Sign in to " + site : "Sign-in request";
    li.querySelector(".req-app").textContent = l.app_id || "—";
    var ip = li.querySelector(".req-ip");
    ip.textContent = from;
    if (l.same_network) { ip.classList.add("same-net"); }
    li.querySelector(".req-browser").textContent = card.browser;
    li.querySelector(".req-time").textContent = fullTime(created);
    var ask = li.querySelector(".req-ask");
    ask.id = "ask-" + id;
    var group = li.querySelector(".choices");
    group.setAttribute("aria-labelledby", ask.id);
    var approve = li.querySelector(".approve");
    (l.choices || []).forEach(function (n) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "choice";
      b.textContent = String(n);
      b.setAttribute("data-n", String(n));
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () {
        card.selected = n;
        group.querySelectorAll(".choice").forEach(function (o) {
          o.setAttribute("aria-pressed", o === b ? "true" : "false");
        });
        approve.disabled = card.busy;
        approve.textContent = "Approve " + n;
      });
      group.appendChild(b);
    });
    approve.addEventListener("click", function () {
      if (card.selected !== null) { decide(id, "approve", card.selected); }
    });
    li.querySelector(".deny").addEventListener("click", function () { decide(id, "deny", 0); });
    li.querySelector(".report").addEventListener("click", function () {
      // Reporting pauses every sign-in of the account: say so first.
      var until = new Date(Date.now() + 1000 * (l.report_block_seconds || 3600));
      li.querySelector(".confirm-text").textContent = "This blocks sign-ins for " + dev.email + " until " +
        laterTime(until) + ". Report it?";
      li.querySelector(".actions").hidden = true;
      li.querySelector(".confirm").hidden = false;
      li.querySelector(".confirm-report").focus();
    });
    li.querySelector(".confirm-cancel").addEventListener("click", function () {
      li.querySelector(".confirm").hidden = true;
      li.querySelector(".actions").hidden = false;
    });
    li.querySelector(".confirm-report").addEventListener("click", function () { decide(id, "report", 0); });
    cards[id] = card;
    $("requests").appendChild(li);
    updateCountdown(card);
  }

  function removeCard(id) {
    var c = cards[id];
    if (!c) { return; }
    c.li.remove();
    delete cards[id];
    showEmpty();
    announce("pending", Object.keys(cards));
  }

  function setBusy(card, busy) {
    card.busy = busy;
    card.li.querySelectorAll("button").forEach(function (b) { b.disabled = busy; });
    if (!busy) {
      var a = card.li.querySelector(".approve");
      a.disabled = card.selected === null;
      a.textContent = card.selected === null ? "Tap the number first" : "Approve " + card.selected;
    }
  }

  function decide(id, decision, number) {
    var card = cards[id];
    if (!card || card.busy) { return; }
    setBusy(card, true);
    var ts = now();
    sign("authgate-decision-v1|" + id + "|" + decision + "|" + number + "|" + ts).then(function (sig) {
      return signedFetch("POST", prefix + "/device/decide", { session_id: id, decision: decision, number: number, ts: ts, sig: sig });
    }).then(function (res) {
      var where = card.site ? " to " + card.site : "";
      if (res.status === "approved") {
        flash("Approved: the sign-in" + where + " goes ahead on the other screen.", "ok");
        remember(card, "approved");
      } else if (decision === "report") {
        var until = res.paused_until ? new Date(Date.parse(res.paused_until) - clockOffset) : null;
        flash("Denied and reported. Sign-ins for " + dev.email + " are paused" + (until ? " until " +
          laterTime(until) : "") + ". Your administrator can lift it.", "bad");
        remember(card, "reported");
      } else if (decision === "approve") {
        flash("Denied: that number was not the one on the sign-in screen, so the sign-in" + where + " was refused.", "bad");
        remember(card, "wrong");
      } else {
        flash("Denied: the sign-in" + where + " was refused.", "bad");
        remember(card, "denied");
      }
      card.busy = false;
      removeCard(id);
    }).catch(function (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 410 || e.status === 404)) {
        flash(e.status === 410 ? "That request had expired." : "That request was already answered.", "bad");
        remember(card, e.status === 410 ? "expired" : "elsewhere");
        card.busy = false;
        removeCard(id);
        return;
      }
      setBusy(card, false);
      flash("Could not send your answer: " + (e.message || e) + ". Try again.", "bad");
    });
  }

  function updateCountdown(card) {
    var left = Math.max(0, Math.round((card.deadline - Date.now()) / 1000));
    card.li.querySelector(".req-left").textContent = left > 0 ? left + " s left" : "Expired";
    if (left === 0 && !card.busy) {
      card.li.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }
  }

  setInterval(function () {
    Object.keys(cards).forEach(function (id) { updateCountdown(cards[id]); });
  }, 1000);

  // ---- wiring ----

  $("error-retry").addEventListener("click", function () { if (retryAction) { retryAction(); } });
  $("result-close").addEventListener("click", function () { $("result").hidden = true; });
  $("history-clear").addEventListener("click", function () {
    try { localStorage.removeItem(historyKey); } catch (e) { /* nothing kept */ }
    showHistory();
  });
  $("show-code").addEventListener("click", toggleCode);
  $("recovery-done").addEventListener("click", function () { recoveryCodes = []; $("recovery-list").textContent = ""; main(); });
  $("forget").addEventListener("click", function () {
    forgetDevice().then(function () { dev = null; show("setup"); });
  });
  $("rename-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var name = $("rename").value.trim();
    if (!name) { return; }
    signedFetch("POST", prefix + "/device/rename", { name: name }).then(function (me) {
      dev.name = me.name;
      showMe();
      flash("Renamed to " + me.name + ".", "ok");
      return saveDevice(dev);
    }).catch(function (e) { flash("Could not rename: " + (e.message || e), "bad"); });
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && dev && !stream && !pollTimer && !$("view-main").hidden) { connect(); }
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(prefix + "/assets/sw.js", { scope: prefix + "/app" }).catch(function () { /* the app works without it */ });
  }

  if (!window.crypto || !crypto.subtle || !window.indexedDB) {
    fail("This browser cannot approve", "It lacks WebCrypto or IndexedDB, or the page is not on HTTPS.", null);
    return;
  }

  // isDesktop reports a browser that is neither a phone nor a tablet (no
  // mobile user agent, no touch screen): an enrolment link opened there
  // is most likely meant for a phone.
  function isDesktop() {
    if (/Mobi|Android|iPhone|iPad|iPod/.test(navigator.userAgent)) { return false; }
    return !(window.matchMedia && matchMedia("(any-pointer: coarse)").matches);
  }

  // handoff shows the enrolment link as a QR code for a phone to scan,
  // without spending the token; "Use this browser" enrols here instead.
  function handoff(token) {
    show("handoff");
    var link = location.origin + location.pathname + "#enroll=" + token;
    $("handoff-here").onclick = function () { enrollAsked(token); };
    fetch(prefix + "/enroll-qr", {
      method: "POST", cache: "no-store", credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ link: link })
    })
      .then(function (resp) { return resp.ok ? resp.json() : Promise.reject(new Error("status " + resp.status)); })
      .then(function (data) {
        var img = $("handoff-qr");
        img.src = data.png;
        img.hidden = false;
      })
      .catch(function () { $("handoff-qr-error").hidden = false; });
  }

  // enrollFromHash enrols with the token in the address, if there is one.
  // The token works once: it leaves the address bar and history at once.
  function enrollFromHash() {
    var m = /^#enroll=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (!m) { return false; }
    history.replaceState(null, "", location.pathname + location.search);
    stopStream();
    stopPolling();
    if (isDesktop()) { handoff(m[1]); } else { enrollAsked(m[1]); }
    return true;
  }
  // Opening a link while the app is open changes only the fragment.
  window.addEventListener("hashchange", enrollFromHash);
  // A Home Screen app has no address bar: its enrolment link is pasted.
  $("paste-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var m = /#enroll=([A-Za-z0-9_-]+)$/.exec($("paste-link").value.trim());
    if (!m) { fail("Not an enrolment link", "Paste the whole link, ending in #enroll=…", function () { show("setup"); }); return; }
    enrollAsked(m[1]);
  });

  // The app starts once every deferred script has run: enrolment and
  // "Show a code" need otp.js, which loads after this file.
  function start() {
    if (enrollFromHash()) { return; }
    loadDevice().then(function (d) {
      if (d && d.keys && d.id) { dev = d; main(); } else { show("setup"); }
    }).catch(function (e) {
      fail("Storage unavailable", "This browser would not open its storage: " + (e && e.message ? e.message : e), function () { location.reload(); });
    });
  }
  if (document.readyState === "complete") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
