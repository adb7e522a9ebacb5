package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this binary reads and writes.
const SchemaVersion = 2

// ErrSchema is wrapped by Open when the file's schema cannot be used.
var ErrSchema = errors.New("unsupported state file schema")

var (
	bucketMeta      = []byte("meta")
	bucketRuns      = []byte("runs")
	bucketSnapshots = []byte("snapshots")
	bucketSources   = []byte("sources")
	bucketLatest    = []byte("latest")
	bucketFlows     = []byte("flows")
	bucketProgress  = []byte("progress")
	bucketServers   = []byte("servers") // schema 2: one bucket per server, holding latest, flows and progress

	keySchema = []byte("schema")
)

// upgrades[v] brings a file from schema v to v+1; they run in order, in one
// transaction, and only forward.
var upgrades = []func(*bolt.Tx) error{
	0: func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRuns, bucketSnapshots, bucketSources, bucketLatest, bucketFlows, bucketProgress} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	1: upgradeToServers,
}

// perServer reports whether a bucket lives under each server (schema 2).
func perServer(name []byte) bool {
	return bytes.Equal(name, bucketLatest) || bytes.Equal(name, bucketFlows) || bytes.Equal(name, bucketProgress)
}

// upgradeToServers moves the per-flow records of schema 1 under the server
// they came from, which their run names: flow states and progress by their
// runId, the latest-snapshot index by its run. A record whose run was not
// kept (plan runs are not recorded) is dropped: the next pass scans again.
func upgradeToServers(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketServers); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketServers, err)
	}
	for _, name := range [][]byte{bucketLatest, bucketFlows, bucketProgress} {
		old := tx.Bucket(name)
		if old == nil {
			continue
		}
		err := old.ForEach(func(k, v []byte) error {
			run := string(v) // latest: the value is the run id
			if !bytes.Equal(name, bucketLatest) {
				var rec struct {
					RunID string `json:"runId"`
				}
				if json.Unmarshal(v, &rec) != nil {
					return nil
				}
				run = rec.RunID
			}
			srv, ok, err := runServer(tx, run)
			if err != nil || !ok || srv.URL == "" {
				return err
			}
			b, err := serverBucket(tx, srv.key(), name, true)
			if err != nil {
				return err
			}
			return b.Put(bytes.Clone(k), bytes.Clone(v))
		})
		if err != nil {
			return fmt.Errorf("move %s under its servers: %w", name, err)
		}
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("delete bucket %s: %w", name, err)
		}
	}
	return nil
}

// checkSchema refuses a file from a newer binary and, when writable,
// upgrades an older one. A read-only handle reads older layouts as they are
// (readers tolerate missing buckets) so that status works against a file a
// running daemon of the previous version still owns.
func (s *Store) checkSchema() error {
	var version int
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		version, err = readSchema(tx)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("%w: the file has schema version %d, newer than version %d known to this kestra-migrator; upgrade kestra-migrator", ErrSchema, version, SchemaVersion)
	case version == SchemaVersion || s.readOnly:
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		version, err := readSchema(tx) // re-read under the write lock
		if err != nil {
			return err
		}
		if version == 0 {
			if err := refuseForeign(tx); err != nil {
				return err
			}
		}
		for v := version; v < SchemaVersion; v++ {
			if err := upgrades[v](tx); err != nil {
				return fmt.Errorf("upgrade schema %d to %d: %w", v, v+1, err)
			}
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
		}
		return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
	})
}

// readSchema returns 0 when the file has no version yet (new or pre-versioning).
func readSchema(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	raw := meta.Get(keySchema)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%w: unreadable schema version %q", ErrSchema, raw)
	}
	return v, nil
}

// refuseForeign keeps Open from adding buckets to some other program's bbolt file.
func refuseForeign(tx *bolt.Tx) error {
	known := map[string]bool{}
	for _, name := range [][]byte{bucketMeta, bucketRuns, bucketSnapshots, bucketSources, bucketLatest, bucketFlows, bucketProgress, bucketServers} {
		known[string(name)] = true
	}
	return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			return fmt.Errorf("%w: bucket %q is not kestra-migrator's: is this the right --db?", ErrSchema, name)
		}
		return nil
	})
}
