// Package device enrols approver devices and checks what they sign.
//
// An approver device is a phone's browser holding an ECDSA P-256 key pair
// made with WebCrypto (non-extractable, kept in IndexedDB). The gateway
// stores only the public key, as PKIX (SubjectPublicKeyInfo) DER. A device
// has no bearer secret: every request it makes is proof that it holds the
// private key. The gateway's HTTP handlers and the approver page's
// JavaScript both follow the protocol below, byte for byte.
//
// # Keys and signatures
//
// A device key is ECDSA over P-256 with SHA-256; any other curve or key
// type is refused ([ParsePublicKey]). WebCrypto signs as raw r||s (64
// bytes, each half big-endian and zero-padded to 32 bytes); Go's
// ecdsa.SignASN1 signs as an ASN.1 DER SEQUENCE of two INTEGERs. Both forms
// are accepted ([VerifySignature]); r and s must lie in [1, n-1].
//
// High-S signatures are accepted on purpose: WebCrypto does not normalise
// S, so about half of the signatures a phone makes have S > n/2, and
// refusing them would refuse half of all honest requests. The malleability
// this leaves (from (r, s) anyone can make (r, n-s), and re-encode either
// as raw or DER) does not reopen replays, because the replay marker is
// keyed on the signature in canonical form (raw, low S), not on its bytes.
//
// Signatures travel as base64url without padding (RFC 4648 section 5).
//
// # Signed requests
//
// Every device request except enrolment carries three values:
//
//	X-Authgate-Device            the device id ("dev_…")
//	X-Authgate-Timestamp         Unix time in milliseconds, decimal
//	X-Authgate-Device-Signature  base64url signature of the message below
//
// The signed message is, with "\n" a single line feed and no trailing one:
//
//	"authgate-request-v1" \n METHOD \n path-with-query \n timestamp \n hex(sha256(body))
//
// METHOD is the request method in upper case. path-with-query is the
// request target as the client sent it: the escaped path, then "?" and the
// raw query when the query is not empty (in JavaScript,
// url.pathname + url.search). timestamp is the header's decimal text.
// The body hash is lower-case hex; an empty body hashes to
// e3b0c442…b855.
//
// Browsers cannot set headers on an EventSource, so the three values may
// come instead as the query parameters ag_device, ag_ts and ag_sig. Then
// path-with-query is the request's path and query with those three
// parameters removed and the others kept in their original order and
// spelling; if no parameter is left, there is no "?". A request uses one
// form or the other: if any of the three headers is present, the headers
// are used and must all be present.
//
// [Verifier.VerifyRequest] refuses, in this order, cheapest first: missing
// or malformed parts ([ErrUnsigned]), a timestamp more than MaxSkew (30 s)
// before or after the server's clock ([ErrStale]), an unknown or revoked
// device ([ErrUnknownDevice]), a signature that does not verify
// ([ErrBadSignature]), and a signature seen before ([ErrReplayed]). All of
// them wrap [ErrUnauthorized] (HTTP 401). The signature is checked before
// the replay marker is taken, so garbage cannot use up markers. A store
// outage yields an error wrapping store.ErrUnavailable (HTTP 503).
//
// [Verifier.Prepare] makes the checks up to the signature and leaves the
// marker to a store step that takes it together with what the request
// asks for ([Prepared.Finish] reads its answer): a decision is one
// atomic step with its marker (store.UseSteps), so a replayed decision
// changes nothing at all, and [Verifier.VerifyPendingRequest] reads the
// pending login in the same round trip as the marker.
//
// # Signed decisions
//
// A decision on a login is signed on its own, so that it stands as
// evidence apart from the request that carried it:
//
//	"authgate-decision-v1|" session_id "|" decision "|" number "|" ts
//
// decision is approve, deny or report; number is the decimal number the
// user tapped (0 for deny and report); ts is Unix milliseconds. Replaying a
// decision gains nothing: a login leaves the pending state once.
//
// # Enrolment
//
// An administrator asks for a one-time enrolment token for an email
// ([Enroller.CreateToken]): 32 random bytes, base64url. The store keeps only
// its SHA-256 hash, for 15 minutes. The link handed to the user is
//
//	<gate base URL>/app#enroll=<token>
//
// The token sits in the fragment, which browsers never send, so it reaches
// no server log. The approver page makes a key and posts the token, the
// public key and a device name ([Enroller.Enroll]); the token works once.
// The answer carries, once, the device's TOTP secret for offline codes
// (the gateway keeps it sealed; see package otp) and, with a user's first
// phone, ten recovery codes.
//
// # HTTP API
//
// Paths are relative to the gate base URL (for example
// https://app.example.com/.authgate). Request and response bodies are JSON;
// the types in api.go are their shapes.
//
//	POST /device/enroll   unsigned   EnrollRequest   → 201 EnrollResponse
//	GET  /device/pending  signed                     → 200 PendingResponse
//	POST /device/decide   signed     DecideRequest   → 200 DecideResponse
//	GET  /device/me       signed                     → 200 DeviceInfo
//	POST /device/rename   signed     RenameRequest   → 200 DeviceInfo
//
// Errors are 4xx or 5xx with the body ErrorResponse, {"error":"<message>"}.
package device
