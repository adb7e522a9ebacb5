package store

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// ServerID is the Kestra server that records came from. One state file may
// hold the records of several servers side by side; a Store bound to one
// (BindServer) never uses, marks or writes another's.
type ServerID struct {
	// URL is the base URL as NormalizeServerURL leaves it.
	URL string `json:"url"`
	// Tenant is the tenant of the flow paths; "" for the tenant-less paths
	// of Kestra <= 0.22.
	Tenant string `json:"tenant,omitempty"`
	// Instance is Kestra's own instance id (the "uuid" of /api/v1/configs),
	// "" when the server does not give one. A copy of a server's database
	// (a staging clone of production) shares it: the URL tells them apart.
	Instance string `json:"instance,omitempty"`
}

// String names the server for errors and tables.
func (id ServerID) String() string {
	if id.URL == "" {
		return "an unknown server"
	}
	tenant := "no tenant"
	if id.Tenant != "" {
		tenant = "tenant " + id.Tenant
	}
	if id.Instance == "" {
		return fmt.Sprintf("%s (%s)", id.URL, tenant)
	}
	return fmt.Sprintf("%s (%s, instance %s)", id.URL, tenant, id.Instance)
}

// Same reports whether a and b are the same server: the same normalised
// URL and tenant, and the same instance id when both are known (records
// written before instance ids were kept have none).
func (id ServerID) Same(o ServerID) bool {
	a, b := id.normalized(), o.normalized()
	return a.URL == b.URL && a.Tenant == b.Tenant && (a.Instance == "" || b.Instance == "" || a.Instance == b.Instance)
}

func (id ServerID) normalized() ServerID {
	id.URL = NormalizeServerURL(id.URL)
	return id
}

// key names the server's bucket: the exact identity, so that a server
// whose instance id changed (a reinstall behind the same URL) never reads
// the records of the one before.
func (id ServerID) key() []byte {
	id = id.normalized()
	return []byte(id.URL + "\x00" + id.Tenant + "\x00" + id.Instance)
}

// serverFromKey undoes key.
func serverFromKey(k []byte) ServerID {
	parts := strings.SplitN(string(k), "\x00", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return ServerID{URL: parts[0], Tenant: parts[1], Instance: parts[2]}
}

// NormalizeServerURL is the form a server URL is recorded and compared in:
// no credentials, query or fragment (redactURL), scheme and host in lower
// case, no default port, no trailing slash.
func NormalizeServerURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.TrimRight(redactURL(raw), "/")
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	u.Scheme = strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	u.Host = host
	if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	}
	if port != "" {
		u.Host += ":" + port
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// ErrOtherServer is matched (errors.Is) by an *OtherServerError.
var ErrOtherServer = errors.New("belongs to another server")

// ErrNotBound is wrapped when a Store that is not bound to a server is asked
// for, or to write, one server's flow states or progress.
var ErrNotBound = errors.New("the state file handle is not bound to a server (BindServer)")

// OtherServerError refuses to use a record of another server than the one
// the Store is bound to, naming both.
type OtherServerError struct {
	What   string   // what was refused: "run 20261127T101500Z-3fa9c2", "the snapshots selected"
	Record ServerID // the server the record belongs to
	Bound  ServerID // the server the Store is bound to
}

func (e *OtherServerError) Error() string {
	return fmt.Sprintf("%s belongs to %s, not to %s, the server this command talks to: "+
		"records of one server are never used against another (check the server URL and tenant, or --db)",
		e.What, e.Record, e.Bound)
}

// Is makes errors.Is(err, ErrOtherServer) hold.
func (e *OtherServerError) Is(target error) bool { return target == ErrOtherServer }

// BindServer scopes the Store to one server: from then on it reads only
// that server's runs, snapshots, flow states and progress, refuses to mark
// or extend another's (an *OtherServerError naming both), and records what
// it writes as that server's. A Store is bound once; binding it again to the
// same server is harmless, to another is an *OtherServerError. An unbound
// Store (the read-only commands) sees every server's records, each with its
// ServerID, and cannot write flow states or progress.
func (s *Store) BindServer(id ServerID) error {
	id = id.normalized()
	if id.URL == "" {
		return errors.New("bind the state file to a server: no server URL")
	}
	if s.bound.CompareAndSwap(nil, &id) {
		return nil
	}
	if cur := s.bound.Load(); *cur != id {
		return &OtherServerError{What: "this handle on state file " + s.path, Record: *cur, Bound: id}
	}
	return nil
}

// Server returns the server the Store is bound to.
func (s *Store) Server() (ServerID, bool) {
	if id := s.bound.Load(); id != nil {
		return *id, true
	}
	return ServerID{}, false
}

// owns reports whether a record of server id may be used: always when the
// Store is unbound.
func (s *Store) owns(id ServerID) bool {
	b := s.bound.Load()
	return b == nil || b.Same(id)
}

// anyServer keeps every server's records.
func anyServer(ServerID) bool { return true }

// refuse is the error for a record of another server.
func (s *Store) refuse(what string, id ServerID) error {
	b, _ := s.Server()
	return &OtherServerError{What: what, Record: id, Bound: b}
}

// boundBucket returns the bound server's sub-bucket name (latest, flows,
// progress), creating it when create; nil (and no error) when it does not
// exist yet. Without a binding it fails with ErrNotBound.
func (s *Store) boundBucket(tx *bolt.Tx, name []byte, create bool) (*bolt.Bucket, error) {
	id := s.bound.Load()
	if id == nil {
		return nil, ErrNotBound
	}
	return serverBucket(tx, id.key(), name, create)
}

// serverBucket returns one sub-bucket of the server with that key.
func serverBucket(tx *bolt.Tx, key, name []byte, create bool) (*bolt.Bucket, error) {
	servers := tx.Bucket(bucketServers)
	if !create {
		if servers == nil {
			return nil, nil
		}
		if srv := servers.Bucket(key); srv != nil {
			return srv.Bucket(name), nil
		}
		return nil, nil
	}
	if servers == nil {
		return nil, fmt.Errorf("%w: bucket %s missing", ErrSchema, bucketServers)
	}
	srv, err := servers.CreateBucketIfNotExists(key)
	if err != nil {
		return nil, fmt.Errorf("create the records of %s: %w", serverFromKey(key), err)
	}
	b, err := srv.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, fmt.Errorf("create bucket %s of %s: %w", name, serverFromKey(key), err)
	}
	return b, nil
}

// forEachServer calls fn with each server that has a name sub-bucket.
func forEachServer(tx *bolt.Tx, name []byte, fn func(id ServerID, b *bolt.Bucket) error) error {
	servers := tx.Bucket(bucketServers)
	if servers == nil {
		return nil
	}
	return servers.ForEachBucket(func(k []byte) error {
		b := servers.Bucket(k).Bucket(name)
		if b == nil {
			return nil
		}
		return fn(serverFromKey(k), b)
	})
}

// runServer reads the server of a run inside tx; ok is false when the run
// is not recorded.
func runServer(tx *bolt.Tx, run string) (ServerID, bool, error) {
	var rec runRecord
	err := getJSON(tx, bucketRuns, []byte(run), &rec)
	if errors.Is(err, ErrNotFound) {
		return ServerID{}, false, nil
	}
	if err != nil {
		return ServerID{}, false, err
	}
	return rec.server(), true, nil
}

// runServers caches runServer over one transaction.
type runServers struct {
	tx    *bolt.Tx
	cache map[string]ServerID
}

func (c *runServers) get(run string) (ServerID, error) {
	if id, ok := c.cache[run]; ok {
		return id, nil
	}
	id, _, err := runServer(c.tx, run)
	if err != nil {
		return ServerID{}, err
	}
	if c.cache == nil {
		c.cache = map[string]ServerID{}
	}
	c.cache[run] = id
	return id, nil
}
