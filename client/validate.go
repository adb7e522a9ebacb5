package client

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
)

// Validation is the server's verdict on one source.
type Validation struct {
	Index            int      `json:"index"` // position in the caller's slice (not the server's)
	Flow             string   `json:"flow,omitempty"`
	Namespace        string   `json:"namespace,omitempty"`
	Outdated         bool     `json:"outdated"`
	DeprecationPaths []string `json:"deprecationPaths,omitempty"`
	Warnings         []string `json:"warnings,omitempty"`
	Infos            []string `json:"infos,omitempty"`
	Constraints      string   `json:"constraints,omitempty"` // set only when invalid
	// Partial is set when the server split this source into several documents
	// (a line starting with "---"): only the first part was validated, which
	// is also the only part Kestra would parse on save. A warning says so.
	Partial bool `json:"-"`
}

// Valid reports whether the server found no constraint violation.
func (v Validation) Valid() bool { return v.Constraints == "" }

// Validate asks the server to validate sources; result[i] answers sources[i].
// Sources go in batches of ValidateBatchSize, joined with "\n---\n" after a
// leading document marker is stripped from each. Kestra splits the body with
// the regex `\n+---\n*?`, so a source with another line starting with "---"
// (a marker, or a scalar line at column 0) or a blank source would shift
// every later answer: such a source is sent alone.
func (c *Client) Validate(ctx context.Context, sources [][]byte) ([]Validation, error) {
	out := make([]Validation, len(sources))
	bodies := make([][]byte, len(sources))
	var batch []int
	for i, s := range sources {
		bodies[i] = stripLeadingMarker(s)
		if splitsOnServer(bodies[i]) {
			if err := c.validateAlone(ctx, i, bodies[i], out); err != nil {
				return nil, err
			}
			continue
		}
		batch = append(batch, i)
		if len(batch) == c.cfg.ValidateBatchSize {
			if err := c.validateBatch(ctx, batch, bodies, out); err != nil {
				return nil, err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := c.validateBatch(ctx, batch, bodies, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Client) validateBatch(ctx context.Context, idx []int, bodies [][]byte, out []Validation) error {
	call := fmt.Sprintf("validate sources %d..%d", idx[0], idx[len(idx)-1])
	docs := make([][]byte, len(idx))
	for k, i := range idx {
		docs[k] = bodies[i]
	}
	ans, err := c.postValidate(ctx, call, bytes.Join(docs, []byte("\n---\n")))
	if err != nil {
		return err
	}
	if len(ans) != len(idx) {
		return fmt.Errorf("%s: the server answered %d results for %d documents: cannot map them back", call, len(ans), len(idx))
	}
	for k, i := range idx {
		ans[k].Index = i
		out[i] = ans[k]
	}
	return nil
}

func (c *Client) validateAlone(ctx context.Context, i int, body []byte, out []Validation) error {
	call := fmt.Sprintf("validate source %d", i)
	ans, err := c.postValidate(ctx, call, body)
	if err != nil {
		return err
	}
	if len(ans) == 0 {
		return fmt.Errorf("%s: the server answered no result", call)
	}
	v := ans[0]
	v.Index = i
	if len(ans) > 1 {
		v.Partial = true
		v.Warnings = append(v.Warnings, fmt.Sprintf(
			"the server split this source into %d documents at lines starting with \"---\"; only the first was validated", len(ans)))
	}
	out[i] = v
	return nil
}

func (c *Client) postValidate(ctx context.Context, call string, body []byte) ([]Validation, error) {
	base, err := c.flowsPath(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	if len(body) == 0 {
		body = []byte("\n") // an empty body would not reach the YAML endpoint
	}
	var ans []Validation
	err = c.getJSON(ctx, request{call: call, endpoint: "validate", method: http.MethodPost,
		path: base + "/validate", body: body, contentType: "application/x-yaml"}, &ans)
	return ans, err
}

// stripLeadingMarker drops a leading "---" line (and the blank or comment
// lines before it, which carry no meaning); other sources are returned as is.
func stripLeadingMarker(src []byte) []byte {
	rest := src
	for len(rest) > 0 {
		line, next := cutLine(rest)
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0 || t[0] == '#':
			rest = next
		case isMarker(t):
			return next
		default:
			return src
		}
	}
	return src
}

// isMarker matches a bare document start: "---", optionally with a comment.
func isMarker(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	t := bytes.TrimSpace(line[3:])
	return len(t) == 0 || t[0] == '#'
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// splitsOnServer reports whether Kestra's split regex `\n+---\n*?` would cut
// this source once joined into a batch, or whether it is blank (a blank
// document at the end of a batch is dropped by the server's split).
func splitsOnServer(body []byte) bool {
	return len(bytes.TrimSpace(body)) == 0 ||
		bytes.HasPrefix(body, []byte("---")) ||
		bytes.Contains(body, []byte("\n---"))
}
