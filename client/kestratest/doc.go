// Package kestratest is the test-facing side of the fake Kestra server of
// client/kestrafake: helpers that take a testing.TB (Start, MustAdd, ...)
// and aliases of the fake's types, so that a test needs one import.
//
// The fake itself lives in kestrafake, which imports no testing package: the
// production binary carries it for the demo command, never this package.
package kestratest
