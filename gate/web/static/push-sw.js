// Push for the approver's service worker (imported by sw.js). A push
// carries {type, login_id, app, site, browser, expires_at, title, body}
// and never the number: the user opens the approver and taps it there.
// While the request waits, the worker watches it on the device's event
// stream and closes its notification once the request is decided (here
// or elsewhere), cancelled or expired: the server sends no second push.
"use strict";
var APP_URL = new URL("../app", self.location).href;
var PREFIX = new URL("..", self.location).pathname.replace(/\/$/, "");
var LOGIN_TAG = "authgate-login";

self.addEventListener("push", function (ev) {
  var data = {};
  try { data = ev.data ? ev.data.json() : {}; } catch (e) { data = {}; }
  var id = typeof data.login_id === "string" ? data.login_id : "";
  var url = id ? APP_URL + "#request=" + encodeURIComponent(id) : APP_URL;
  ev.waitUntil(self.registration.showNotification(data.title || "Sign-in request", {
    body: data.body || "Open the approver and tap the number shown on the sign-in screen.",
    tag: LOGIN_TAG,          // a newer request replaces an older one
    renotify: true,
    requireInteraction: true,
    icon: new URL("icon-192.png", self.location).href,
    timestamp: Date.now(),
    data: { login_id: id, expires_at: data.expires_at || 0, url: url, shown_at: Date.now() }
  }).then(function () { return watchRequest(id, data.expires_at || 0); }));
});

// A tap opens the approver at the request: an open approver window is
// told which request and brought forward; otherwise a new one opens.
self.addEventListener("notificationclick", function (ev) {
  ev.notification.close();
  var d = ev.notification.data || {};
  var url = d.url || APP_URL;
  ev.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      if (c.url.split("#")[0] === APP_URL) {
        c.postMessage({ type: "open-request", login_id: d.login_id || "" });
        return c.focus ? c.focus().catch(function () { return c; }) : c;
      }
    }
    return self.clients.openWindow(url);
  }));
});

// ---- a renewed subscription is registered with the device's key ----

function b64url(bytes) {
  var s = "";
  for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s) {
  s = s.replace(/-/g, "+").replace(/_/g, "/");
  while (s.length % 4) { s += "="; }
  var bin = atob(s);
  var out = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
  return out;
}

function hex(buf) {
  return Array.prototype.map.call(new Uint8Array(buf), function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
}

// loadDevice reads the device record the app keeps in IndexedDB (its
// non-extractable key pair included).
function loadDevice() {
  return new Promise(function (resolve, reject) {
    var req = indexedDB.open("authgate", 1);
    req.onupgradeneeded = function () { req.result.createObjectStore("devices"); };
    req.onerror = function () { reject(req.error); };
    req.onsuccess = function () {
      var db = req.result;
      var get = db.transaction("devices", "readonly").objectStore("devices").get("device:" + PREFIX);
      get.onsuccess = function () { db.close(); resolve(get.result); };
      get.onerror = function () { db.close(); reject(get.error); };
    };
  });
}

// signedHeaders returns the headers that sign a request as the app signs
// device requests.
function signedHeaders(dev, method, path, body) {
  var ts = Date.now();
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)).then(function (h) {
    var msg = ["authgate-request-v1", method, path, String(ts), hex(h)].join("\n");
    return crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, dev.keys.privateKey, new TextEncoder().encode(msg));
  }).then(function (sig) {
    return {
      "X-Authgate-Device": dev.id, "X-Authgate-Timestamp": String(ts),
      "X-Authgate-Device-Signature": b64url(new Uint8Array(sig))
    };
  });
}

// signedPost sends body signed as the app signs device requests.
function signedPost(dev, path, payload) {
  var body = JSON.stringify(payload);
  return signedHeaders(dev, "POST", path, body).then(function (headers) {
    headers["Content-Type"] = "application/json";
    headers["Accept"] = "application/json";
    return fetch(path, { method: "POST", body: body, cache: "no-store", credentials: "omit", headers: headers });
  });
}

// ---- a notification closes when its request no longer waits ----

// MAX_WATCH keeps a watch inside the time a browser lets one push event
// keep its worker running.
var MAX_WATCH = 4 * 60 * 1000;

// watchRequest resolves once the request id no longer waits for this
// device (decided here or elsewhere, cancelled, expired, or the device
// removed), and then closes the request's notification. It follows the
// device's signed event stream, which wakes on the server's change
// signal: no polling.
function watchRequest(id, expiresAt) {
  if (!id) { return Promise.resolve(); }
  var until = Math.min(expiresAt > Date.now() ? expiresAt : Date.now() + MAX_WATCH, Date.now() + MAX_WATCH);
  var ctrl = new AbortController();
  var timer = setTimeout(function () { ctrl.abort(); }, until - Date.now());
  var attempt = function () {
    return loadDevice().then(function (dev) {
      if (!dev || !dev.id || !dev.keys) { return true; }
      return streamUntilGone(dev, id, ctrl.signal);
    }).catch(function () { return false; }).then(function (gone) {
      if (gone || ctrl.signal.aborted || Date.now() >= until) { return; }
      // The stream ended or failed while the request still waits: again,
      // after a pause.
      return new Promise(function (r) { setTimeout(r, 2000); }).then(attempt);
    });
  };
  return attempt().then(function () {
    clearTimeout(timer);
    return closeNotificationsOf(id);
  });
}

// streamUntilGone reads the device's event stream until a "pending"
// event no longer lists id, or "revoked" (true), or the stream ends
// (false).
function streamUntilGone(dev, id, signal) {
  var path = PREFIX + "/device/events";
  return signedHeaders(dev, "GET", path, "").then(function (headers) {
    headers["Accept"] = "text/event-stream";
    return fetch(path, { cache: "no-store", credentials: "omit", headers: headers, signal: signal });
  }).then(function (resp) {
    if (resp.status === 401 || resp.status === 404) { return true; } // the device is gone
    if (!resp.ok || !resp.body) { return false; }
    var reader = resp.body.getReader();
    var text = new TextDecoder();
    var buf = "";
    var pump = function () {
      return reader.read().then(function (chunk) {
        if (chunk.done) { return false; }
        buf += text.decode(chunk.value, { stream: true });
        var events = buf.split("\n\n");
        buf = events.pop();
        for (var i = 0; i < events.length; i++) {
          if (requestGone(events[i], id)) {
            reader.cancel().catch(function () { /* already closed */ });
            return true;
          }
        }
        return pump();
      });
    };
    return pump();
  });
}

// requestGone reads one server-sent event: true when it says the device
// is removed, or lists the waiting requests without id.
function requestGone(raw, id) {
  var name = "", data = "";
  raw.split("\n").forEach(function (line) {
    if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
    if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
  });
  if (name === "revoked") { return true; }
  if (name !== "pending") { return false; }
  try {
    var logins = JSON.parse(data).logins || [];
    return !logins.some(function (l) { return l.session_id === id; });
  } catch (e) { return false; }
}

function closeNotificationsOf(id) {
  return self.registration.getNotifications({ tag: LOGIN_TAG }).then(function (list) {
    list.forEach(function (n) { if ((n.data || {}).login_id === id) { n.close(); } });
  });
}

self.addEventListener("pushsubscriptionchange", function (ev) {
  var renewed = ev.newSubscription ? Promise.resolve(ev.newSubscription) :
    fetch(PREFIX + "/push/key", { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (k) {
        return self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromB64url(k.public_key) });
      });
  ev.waitUntil(renewed.then(function (sub) {
    return loadDevice().then(function (dev) {
      if (dev && dev.id && dev.keys) { return signedPost(dev, PREFIX + "/device/push", sub.toJSON()); }
      return null;
    });
  }));
});
