// Package store keeps kestra-migrator's state in one bbolt file: the runs,
// a rollback snapshot of every flow before it is written, the last known
// state of each flow and the scan progress of each namespace.
//
// It knows nothing about HTTP and takes no credentials: secrets never reach
// the file (URL user info is stripped from everything recorded).
//
// # Locking
//
// bbolt allows one read-write handle (exclusive flock) or any number of
// read-only handles (shared flock) per file. Long-lived processes (the
// daemon, apply) take the process lock with [Lock] for their lifetime and
// open the database read-write only while they work, so that read-only
// commands such as status can open it between passes. Both [Open] and
// [Lock] return an error wrapping [ErrLocked] when the file is held.
//
// # A damaged file
//
// Every open checks the file before anything uses it (its size against the
// pages it refers to, every bucket and value, then bbolt's consistency
// check: about 10 ms for 100 MB), and every exported method turns a panic
// or a memory fault inside bbolt into an error wrapping [ErrCorrupt] that
// names the file and what to do. [OpenExisting] (and a read-only [Open])
// never create the file: a missing one is [ErrNoStateFile].
//
// # One file, several servers
//
// Runs, snapshots, flow states and progress carry the [ServerID] of the
// Kestra server they came from (normalised URL, tenant, Kestra's instance
// id). One file may hold several servers' records side by side. A Store
// bound to a server ([Store.BindServer]) reads only that server's records,
// and refuses to mark or extend another's with an [*OtherServerError]
// naming both; an unbound Store (status, runs, snapshots) lists every
// server's, each with its ServerID.
//
// # Layout (schema version 2)
//
// All keys are byte-sorted; parts are joined with a 0x00 byte, which sorts
// before every character allowed in run ids, namespaces and flow ids, so a
// namespace sorts before its children and keys cannot collide.
//
//	meta       "schema"           -> decimal schema version ("2")
//	runs       run                -> JSON runRecord (with its server: url, tenant, instance)
//	snapshots  run 0 ns 0 flow    -> JSON snapshotRecord (metadata only; the server is the run's)
//	sources    run 0 ns 0 flow    -> uvarint(len(original)) original migrated (raw bytes)
//	servers    url 0 tenant 0 instance -> one bucket per server, holding:
//	  latest     ns 0 flow        -> run id of the most recently saved snapshot of the flow
//	  flows      ns 0 flow        -> JSON flowRecord
//	  progress   ns               -> JSON progressRecord
//
// Schema 1 kept latest, flows and progress at the top level; the upgrade
// moves each record under the server of the run that wrote it.
//
// Sources are kept raw, apart from the metadata, so that listing snapshots
// does not read them and nothing pays for base64.
package store
