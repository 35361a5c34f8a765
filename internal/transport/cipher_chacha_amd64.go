//go:build amd64 && gc && !purego

package transport

// aeadAssembly reports whether x/crypto's chacha20poly1305 AEAD runs
// assembly here: its build constraint, copied (chacha20poly1305_amd64.go).
// A variable so that the tests can take the other route.
var aeadAssembly = true
