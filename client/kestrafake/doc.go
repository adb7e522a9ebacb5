// Package kestrafake is an in-memory fake of Kestra's flow API, served over
// loopback HTTP, for tests, the demo command and cmd/kestra-fake. It follows
// docs/kestra-api.md: tenant and legacy paths, basic and bearer auth, search
// paging, revisions, soft delete, export as ZIP, validate with deprecation
// paths. Validation (validate, create, update) follows the server version
// (Options.Version): a 2.x server refuses what Kestra 2.0 removed (old type
// names, input `name`, BOOLEAN, trigger conditions, flow-level defaults...),
// a 1.x server the keys only 2.0 has; the table is in refusals.go. Plus switchable faults (latency, 503, 429, dropped connections,
// truncated bodies, hangs), a concurrent "human" editor, and request counters
// per endpoint.
//
// It imports no testing package, so that the production binary can carry it
// for the demo; the helpers that take a testing.TB live in client/kestratest.
//
// Sources are stored byte for byte. Everything is safe for concurrent use.
// The bulk and namespace-replace endpoints are refused (501) and counted as
// "bulk" and "namespace-replace", so a test can assert they were never called.
package kestrafake
