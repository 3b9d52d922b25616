// Package deviceclient is a Go approver device: it enrols with a link,
// holds its P-256 key, and speaks the gateway's device HTTP API (see
// package device for the protocol). Tests use it to approve logins, and an
// operator can use it to approve headlessly.
package deviceclient
