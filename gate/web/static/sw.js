// The approver app's service worker: it keeps the app's shell (page,
// script, style, icons) so the app opens without a network, and leaves
// every API request, and every other page of the gate, to the network.
// It shows a notification for each push (a sign-in waiting), opens the
// approver at that request when the notification is tapped, and
// registers a renewed push subscription (push-sw.js).
"use strict";
var CACHE = "authgate-app-v3";
var SHELL = ["../app", "gate.css", "app.js", "otp.js", "push.js", "icon.svg", "icon-192.png", "icon-512.png", "manifest.webmanifest"];
var shellURLs = SHELL.map(function (p) { return new URL(p, self.location).href; });

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(shellURLs); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// Network first, so an upgrade shows at once; the cached shell when offline.
self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  url.hash = "";
  var key = url.origin + url.pathname;
  if (shellURLs.indexOf(key) < 0) { return; }
  ev.respondWith(fetch(req).then(function (resp) {
    if (resp.ok) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (c) { return c.put(key, copy); });
    }
    return resp;
  }).catch(function () {
    return caches.match(key).then(function (hit) { return hit || Response.error(); });
  }));
});

importScripts("push-sw.js");
