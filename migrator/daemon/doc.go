// Package daemon keeps a fleet of Kestra flows migrated: it runs a plan or
// apply pass of the migration engine every interval (with jitter), backs off
// when a pass fails, turns apply passes into plan passes outside an allow
// window, and serves health, readiness, Prometheus metrics and the last
// pass's report over HTTP.
//
// The daemon holds the state file's process lock for its whole life (one
// daemon per state file) but opens the database only during a pass, so that
// read-only commands such as `kestra-migrator status` work between passes.
// Passes are incremental: a flow whose revision is the one the state file
// recorded is answered without reading its source, so a quiet fleet costs a
// search per namespace.
package daemon
