// Notifications for the approver app: asks for permission from a tap
// (iOS allows it only there, and only in an app added to the Home Screen,
// so on iOS in Safari it shows the steps to add it first), subscribes
// with the gate's VAPID key, registers the subscription with a signed
// request, renews it when the gate's key changes, and turns it off on
// request. It also marks the request a notification was opened for, and
// closes notifications of requests that are no longer waiting.
(function () {
  "use strict";
  var root = document.getElementById("app");
  if (!root) { return; }
  var api = null;
  var wantedId = null;

  function $(id) { return document.getElementById(id); }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // isIOS covers iPhones and iPads (which may claim to be a Mac).
  function isIOS() {
    return /iPhone|iPad|iPod/.test(navigator.userAgent) ||
      (/Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1);
  }

  function standalone() {
    return navigator.standalone === true || (window.matchMedia && matchMedia("(display-mode: standalone)").matches);
  }

  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  function sameKey(sub, key) {
    var have = sub && sub.options && sub.options.applicationServerKey;
    if (!have) { return false; }
    have = new Uint8Array(have);
    if (have.length !== key.length) { return false; }
    for (var i = 0; i < key.length; i++) { if (have[i] !== key[i]) { return false; } }
    return true;
  }

  // show sets the box: state is on, off, ios, blocked, unsupported, busy
  // or error.
  function show(state, text) {
    $("notif-box").hidden = false;
    $("notif-box").setAttribute("data-state", state);
    $("notif-text").textContent = text;
    $("notif-ios").hidden = state !== "ios";
    $("notif-on").hidden = !(state === "off" || state === "error");
    $("notif-on").disabled = false;
    $("notif-off").hidden = state !== "on";
  }

  function serverKey() {
    return fetch(api.prefix + "/push/key", { cache: "no-store", credentials: "omit", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error("the gate has no push key")); })
      .then(function (k) { return { id: k.key_id, bytes: fromB64url(k.public_key) }; });
  }

  function register(sub) {
    return api.signedFetch("POST", api.prefix + "/device/push", sub.toJSON());
  }

  // subscribe makes a subscription for the gate's key (dropping one made
  // for another key, or any one when fresh is set) and registers it.
  function subscribe(reg, key, fresh) {
    return reg.pushManager.getSubscription().then(function (old) {
      if (old && (fresh || !sameKey(old, key.bytes))) { return old.unsubscribe(); }
      return null;
    }).then(function () {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key.bytes });
    }).then(register);
  }

  function onText() { return "On: this phone buzzes when a sign-in waits for you, even with the app closed."; }

  // refresh shows where notifications stand, and quietly renews the
  // subscription when the gate's key changed or the gate lost it.
  function refresh() {
    if (isIOS() && !standalone()) {
      show("ios", "To get a notification for each sign-in, add this app to your Home Screen first:");
      return;
    }
    if (!supported()) {
      show("unsupported", "This browser cannot show notifications. Open this app when you sign in to see the request.");
      return;
    }
    if (Notification.permission === "denied") {
      show("blocked", "Notifications are blocked for this site. Allow them in the browser’s site settings, then reload.");
      return;
    }
    if (Notification.permission !== "granted") {
      show("off", "Off: turn them on to be told of each sign-in when this app is closed.");
      return;
    }
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.getSubscription().then(function (sub) {
        if (!sub) {
          show("off", "Off: turn them on to be told of each sign-in when this app is closed.");
          return null;
        }
        return serverKey().then(function (key) {
          var me = api.me;
          if (!sameKey(sub, key.bytes)) { return subscribe(reg, key, false); }
          // The gate dropped it (its push service answered 410): make a
          // new one rather than register a dead endpoint again.
          if (me && !me.notifications) { return subscribe(reg, key, true); }
          if (me && me.push_key_id !== key.id) { return register(sub); }
          return null;
        }).then(function () { show("on", onText()); });
      });
    }).catch(function (e) {
      show("error", "Notifications could not be checked: " + (e && e.message ? e.message : e));
    });
  }

  // turnOn runs from the user's tap: the permission prompt must come
  // straight from it.
  function turnOn() {
    $("notif-on").disabled = true;
    var asked = Notification.requestPermission();
    Promise.resolve(asked).then(function (p) {
      if (p !== "granted") {
        show("blocked", "Notifications were not allowed. Allow them in the browser’s site settings to turn them on.");
        return null;
      }
      show("busy", "Turning notifications on…");
      return Promise.all([navigator.serviceWorker.ready, serverKey()]).then(function (r) {
        return subscribe(r[0], r[1], false);
      }).then(function () { show("on", onText()); });
    }).catch(function (e) {
      show("error", "Notifications could not be turned on: " + (e && e.message ? e.message : e));
    });
  }

  function turnOff() {
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (sub) {
      return sub ? sub.unsubscribe() : null;
    }).then(function () {
      return api.signedFetch("DELETE", api.prefix + "/device/push");
    }).then(function () {
      show("off", "Off: turn them on to be told of each sign-in when this app is closed.");
    }).catch(function (e) {
      show("error", "Notifications could not be turned off: " + (e && e.message ? e.message : e));
    });
  }

  // focusRequest marks the request a notification was opened for, once
  // its card is there.
  function focusRequest() {
    if (!wantedId) { return; }
    var cards = document.querySelectorAll("#requests .request");
    for (var i = 0; i < cards.length; i++) {
      var hit = cards[i].getAttribute("data-id") === wantedId;
      cards[i].classList.toggle("focused", hit);
      if (hit) { cards[i].scrollIntoView({ block: "center" }); }
    }
  }

  function wantFromHash() {
    var m = /^#request=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (m) { wantedId = m[1]; focusRequest(); }
  }

  // closeStale closes the notifications of requests no longer waiting:
  // one the app saw waiting that has left the list (decided here or on
  // another device, or expired), or one past its time. A notification
  // whose request the list does not hold yet (the push came first) stays
  // for a few seconds.
  var seen = {};
  function closeStale(ids) {
    if (!("serviceWorker" in navigator)) { return; }
    var current = {};
    ids.forEach(function (id) { current[id] = true; seen[id] = true; });
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.getNotifications();
    }).then(function (list) {
      var now = Date.now();
      list.forEach(function (n) {
        var d = n.data || {};
        if (!d.login_id || current[d.login_id]) { return; }
        if (seen[d.login_id] || (d.expires_at && d.expires_at < now) || now - (d.shown_at || 0) > 5000) { n.close(); }
      });
    }).catch(function () { /* nothing to close */ });
  }

  function start(a) {
    if (api) { return; }
    api = a;
    $("notif-on").addEventListener("click", turnOn);
    $("notif-off").addEventListener("click", turnOff);
    refresh();
    if (a.pending) { closeStale(a.pending); }
  }

  document.addEventListener("authgate:device", function () { start(window.authgateApprover); });
  document.addEventListener("authgate:me", function () { if (api) { refresh(); } });
  document.addEventListener("authgate:pending", function (ev) {
    focusRequest();
    closeStale(ev.detail || []);
  });
  window.addEventListener("hashchange", wantFromHash);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (ev) {
      var d = ev.data || {};
      if (d.type === "open-request" && typeof d.login_id === "string") {
        history.replaceState(null, "", location.pathname + location.search + "#request=" + d.login_id);
        wantFromHash();
      }
    });
  }
  wantFromHash();
  if (window.authgateApprover) { start(window.authgateApprover); }
})();
