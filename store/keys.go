package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// sep joins key parts. It sorts before every character allowed in run ids,
// namespaces and flow ids, so "a" sorts before "a.b" and "a-b".
const sep = 0x00

// errBadKey is wrapped when a key part is empty or contains sep.
var errBadKey = errors.New("invalid key")

// checkPart rejects the only values that would break the key scheme.
func checkPart(what, v string) error {
	if v == "" {
		return fmt.Errorf("%w: empty %s", errBadKey, what)
	}
	if strings.IndexByte(v, sep) >= 0 {
		return fmt.Errorf("%w: %s %q contains a NUL byte", errBadKey, what, v)
	}
	return nil
}

// checkFlow validates a namespace and a flow id.
func checkFlow(ns, id string) error {
	if err := checkPart("namespace", ns); err != nil {
		return err
	}
	return checkPart("flow id", id)
}

// flowKey is ns 0 id.
func flowKey(ns, id string) []byte {
	k := make([]byte, 0, len(ns)+1+len(id))
	k = append(k, ns...)
	k = append(k, sep)
	return append(k, id...)
}

// snapshotKey is run 0 ns 0 id.
func snapshotKey(run, ns, id string) []byte {
	k := make([]byte, 0, len(run)+1+len(ns)+1+len(id))
	k = append(k, run...)
	k = append(k, sep)
	k = append(k, ns...)
	k = append(k, sep)
	return append(k, id...)
}

// splitFlowKey undoes flowKey.
func splitFlowKey(k []byte) (ns, id string, ok bool) {
	a, b, ok := bytes.Cut(k, []byte{sep})
	return string(a), string(b), ok
}

// splitSnapshotKey undoes snapshotKey.
func splitSnapshotKey(k []byte) (run, ns, id string, ok bool) {
	r, rest, ok := bytes.Cut(k, []byte{sep})
	if !ok {
		return "", "", "", false
	}
	n, i, ok := bytes.Cut(rest, []byte{sep})
	return string(r), string(n), string(i), ok
}
