// Push for the approver's service worker (imported by sw.js). A push
// carries {type, login_id, app, site, browser, expires_at, title, body}
// and never the number: the user opens the approver and taps it there.
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
  }));
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

// signedPost sends body signed as the app signs device requests.
function signedPost(dev, path, payload) {
  var body = JSON.stringify(payload);
  var bytes = new TextEncoder().encode(body);
  var ts = Date.now();
  return crypto.subtle.digest("SHA-256", bytes).then(function (h) {
    var msg = ["authgate-request-v1", "POST", path, String(ts), hex(h)].join("\n");
    return crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, dev.keys.privateKey, new TextEncoder().encode(msg));
  }).then(function (sig) {
    return fetch(path, {
      method: "POST", body: body, cache: "no-store", credentials: "omit",
      headers: {
        "Content-Type": "application/json", "Accept": "application/json",
        "X-Authgate-Device": dev.id, "X-Authgate-Timestamp": String(ts),
        "X-Authgate-Device-Signature": b64url(new Uint8Array(sig))
      }
    });
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
