//go:build !race

package testenv

// raceEnabled is true when the tests run under the race detector; the
// Caddy they build then has it too.
const raceEnabled = false
