// Package push wakes a user's phones when a login starts: Web Push
// (RFC 8030) with encrypted payloads (RFC 8291, aes128gcm) and VAPID
// application-server identification (RFC 8292).
//
// The flow tells a Notifier "login started for user U" (LoginStarted);
// the Notifier's workers, owned by the caller through Run, load U's
// devices and send one message to each subscribed device, off the request
// path. A message names the app, the site and the browser, never the
// number. Its TTL is the login's remaining time, its Urgency high, and its
// Topic is the user's, so a newer request replaces an older one still
// queued at the push service. A 404 or 410 from the push service removes
// that subscription; other failures are logged, counted and retried once.
// A login that was decided or expired in the meantime sends nothing more.
//
// Subscription endpoints are chosen by browsers, so every endpoint must be
// on an AllowList (the public push services by default) and every dial is
// checked after name resolution: link-local and metadata addresses are
// never dialled, loopback and private ones only for hosts listed exactly
// by the operator. Redirects are never followed.
package push
