package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// utc drops the monotonic reading and the zone, so that what is read back
// compares equal to what was written.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

// orNow is t, or now when t is zero.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return utc(now)
	}
	return utc(t)
}

// getJSON decodes the value at key into v; ErrNotFound when the bucket or
// the key is absent (readers of an older schema may lack buckets).
func getJSON(tx *bolt.Tx, bucket, key []byte, v any) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return ErrNotFound
	}
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	return decode(bucket, key, raw, v)
}

// getIn is getJSON in a bucket that may be nil.
func getIn(b *bolt.Bucket, name, key []byte, v any) error {
	if b == nil {
		return ErrNotFound
	}
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	return decode(name, key, raw, v)
}

func decode(bucket, key, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s %q: %w", bucket, key, err)
	}
	return nil
}

// bucketFor returns a bucket that Open created; its absence means the file
// was changed under us.
func bucketFor(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: bucket %s missing", ErrSchema, name)
	}
	return b, nil
}
