// Package otp holds the ways in when a push cannot arrive: offline codes
// (RFC 6238 TOTP, computed by the approver app from a secret it received
// at enrolment), single-use recovery codes, and one-time access passes an
// operator hands to a user who lost their phone. It also seals the TOTP
// secrets the store keeps (AES-GCM under a key derived with HKDF from the
// gateway's signing key). Nothing here speaks HTTP or touches a store:
// callers keep the records and the replay markers.
//
// The TOTP check is written on the standard library rather than a TOTP
// package: the gate must know which time step a code matched, so that a
// code is accepted once per step (replay refused), and the common
// packages answer only yes or no.
package otp
