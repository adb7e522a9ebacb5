package client

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ExportedFlow is one entry of a namespace export. When Err is set the entry
// could not be used (unmappable, unsafe name, oversized, unreadable) and
// Source is nil; Namespace and ID are set when they could be read.
type ExportedFlow struct {
	Entry     string // the ZIP entry name as the server sent it
	Namespace string
	ID        string
	Source    []byte // the stored source, byte for byte
	Err       error
}

// ExportNamespace downloads the sources of ns and its child namespaces ("" =
// every namespace) as one ZIP (GET /export/by-query) and calls fn for each
// entry, in archive order. The ZIP is spooled to a temporary file, deleted
// before returning, and read one bounded entry at a time. Namespace and id
// come from the source's top-level keys and must match the entry name
// ("{ns}-{id}.yml" on 1.x, "{ns}.{id}.yml" on 0.2x); an entry that fails is
// passed to fn with Err set. An error returned by fn stops the export and is
// returned as is.
func (c *Client) ExportNamespace(ctx context.Context, ns string, fn func(ExportedFlow) error) error {
	call := "export namespace " + ns
	if ns == "" {
		call = "export all namespaces"
	} else if !namespacePattern.MatchString(ns) {
		return fmt.Errorf("%s: invalid namespace", call)
	}
	base, err := c.flowsPath(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	f, err := os.CreateTemp(c.cfg.TempDir, "kestra-export-*.zip")
	if err != nil {
		return fmt.Errorf("%s: spool file: %w", call, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	query := url.Values{}
	if ns != "" {
		query.Set("namespace", ns)
	}
	size, err := c.spool(ctx, request{call: call, endpoint: "export", method: http.MethodGet,
		path: base + "/export/by-query", query: query}, f)
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("%s: read ZIP of %d bytes: %w", call, size, err)
	}
	for _, e := range zr.File {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", call, err)
		}
		if err := fn(c.exportEntry(e)); err != nil {
			return err
		}
	}
	return nil
}

// spool writes the answer to f, starting afresh on each attempt.
func (c *Client) spool(ctx context.Context, r request, f *os.File) (int64, error) {
	var size int64
	err := c.do(ctx, r, func(body io.Reader) error {
		if err := f.Truncate(0); err != nil {
			return &permanentError{err}
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return &permanentError{err}
		}
		if s, ok := body.(sizedBody); ok && s.size > c.cfg.ExportLimit {
			return &permanentError{c.exportTooLarge(fmt.Sprintf("the export (%d bytes)", s.size))}
		}
		n, err := io.Copy(permanentWriter{f}, io.LimitReader(body, c.cfg.ExportLimit+1))
		size = n
		if err != nil {
			return err
		}
		if n > c.cfg.ExportLimit {
			return &permanentError{c.exportTooLarge("the export")}
		}
		return checkZIP(f, n)
	})
	return size, err
}

func (c *Client) exportTooLarge(what string) error {
	return fmt.Errorf("%s is larger than the limit of %d bytes (client export-limit): refused", what, c.cfg.ExportLimit)
}

// checkZIP tells a ZIP cut short (a proxy that closed early but sent a
// matching Content-Length: retried) from an answer that is no ZIP at all.
func checkZIP(f *os.File, n int64) error {
	if _, err := zip.NewReader(f, n); err == nil {
		return nil
	}
	head := make([]byte, 1)
	if _, err := f.ReadAt(head, 0); err == nil && (head[0] == '<' || head[0] == '{') {
		return &permanentError{fmt.Errorf("read ZIP of %d bytes: the answer is HTML or JSON, not a ZIP", n)}
	}
	return fmt.Errorf("read ZIP of %d bytes: not a valid ZIP (cut short?)", n)
}

// permanentWriter marks write errors (disk full) as not worth a retry.
type permanentWriter struct{ w io.Writer }

func (p permanentWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err != nil {
		err = &permanentError{fmt.Errorf("spool: %w", err)}
	}
	return n, err
}

func (c *Client) exportEntry(e *zip.File) ExportedFlow {
	ef := ExportedFlow{Entry: e.Name}
	if err := checkEntryName(e.Name); err != nil {
		ef.Err = err
		return ef
	}
	src, err := readEntry(e, c.cfg.ExportEntryLimit)
	if err != nil {
		ef.Err = fmt.Errorf("entry %q: %w", e.Name, err)
		return ef
	}
	ef.Namespace, ef.ID, err = c.flowHeader(src)
	if err != nil {
		ef.Err = fmt.Errorf("entry %q: cannot map to a flow: %w", e.Name, err)
		return ef
	}
	if !entryMatches(e.Name, ef.Namespace, ef.ID) {
		ef.Err = fmt.Errorf("entry %q: name does not match namespace %q and id %q of its source", e.Name, ef.Namespace, ef.ID)
		return ef
	}
	ef.Source = src
	return ef
}

// checkEntryName refuses names that could point outside a directory; entries
// are never written to disk here, but a caller might.
func checkEntryName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, "..") {
		return fmt.Errorf("entry %q: unsafe entry name", name)
	}
	return nil
}

func readEntry(e *zip.File, limit int64) ([]byte, error) {
	if e.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%d bytes exceeds the entry limit of %d", e.UncompressedSize64, limit)
	}
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// The header's size is not trusted: read at most limit+1 bytes.
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("content exceeds the entry limit of %d bytes", limit)
	}
	return b, nil
}

// flowHeader reads the top-level id and namespace of a flow source: a line
// scan when it is sure (most flows), else a YAML parse.
func (c *Client) flowHeader(src []byte) (ns, id string, err error) {
	if c.cfg.IdentifyFlow != nil {
		if ns, id, ok := c.cfg.IdentifyFlow(src); ok {
			return ns, id, checkRef(ns, id)
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return "", "", fmt.Errorf("parse YAML: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return "", "", errors.New("not a YAML mapping")
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			continue
		}
		switch k.Value {
		case "id":
			id = v.Value
		case "namespace":
			ns = v.Value
		}
	}
	if err := checkRef(ns, id); err != nil {
		return ns, id, err
	}
	return ns, id, nil
}

// entryMatches accepts "{ns}-{id}" (export by query, 1.x) and "{ns}.{id}"
// (0.2x, and export by ids) with a .yml or .yaml extension.
func entryMatches(name, ns, id string) bool {
	for _, sep := range []string{"-", "."} {
		for _, ext := range []string{".yml", ".yaml"} {
			if name == ns+sep+id+ext {
				return true
			}
		}
	}
	return false
}
