// Offline codes for the approver app (RFC 6238 TOTP). The secret the
// gate gives at enrolment is imported once as a non-extractable WebCrypto
// HMAC key, kept in IndexedDB with the device's key pair; this file only
// computes codes with it. It is loaded by the approver page and, for the
// RFC 6238 test vectors, by node.
(function (root) {
  "use strict";

  function fromB64url(s) {
    var b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) { out[i] = b.charCodeAt(i); }
    return out;
  }

  // importSecret turns raw secret bytes (or base64url of them) into a
  // non-extractable HMAC key; alg is "SHA-1" or "SHA-256".
  function importSecret(secret, alg) {
    var raw = typeof secret === "string" ? fromB64url(secret) : secret;
    return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: alg }, false, ["sign"]);
  }

  // codeAt returns the digits-long code of key for time step counter
  // (RFC 4226 dynamic truncation).
  function codeAt(key, counter, digits) {
    var msg = new Uint8Array(8);
    var hi = Math.floor(counter / 4294967296), lo = counter % 4294967296;
    [hi, lo].forEach(function (word, w) {
      for (var i = 0; i < 4; i++) { msg[w * 4 + 3 - i] = (word >>> (8 * i)) & 255; }
    });
    return crypto.subtle.sign("HMAC", key, msg).then(function (sig) {
      var h = new Uint8Array(sig);
      var off = h[h.length - 1] & 15;
      var bin = ((h[off] & 127) * 16777216) + (h[off + 1] << 16) + (h[off + 2] << 8) + h[off + 3];
      var s = String(bin % Math.pow(10, digits));
      while (s.length < digits) { s = "0" + s; }
      return s;
    });
  }

  // code returns the current code and the seconds it has left, at time
  // nowMs (milliseconds since the epoch, the server's clock if known).
  function code(key, digits, period, nowMs) {
    var secs = Math.floor(nowMs / 1000);
    return codeAt(key, Math.floor(secs / period), digits).then(function (c) {
      return { code: c, left: period - (secs % period) };
    });
  }

  root.authgateOTP = { importSecret: importSecret, codeAt: codeAt, code: code };
})(typeof window !== "undefined" ? window : globalThis);
