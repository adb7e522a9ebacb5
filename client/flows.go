package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
)

// Flow is a flow as the API returns it. Source is set only by calls that ask
// for it (Flow, FlowRevision, Revisions, UpdateFlow, CreateFlow).
type Flow struct {
	ID          string `json:"id"`
	Namespace   string `json:"namespace"`
	Revision    int    `json:"revision"`
	Disabled    bool   `json:"disabled"`
	Deleted     bool   `json:"deleted"`
	TenantID    string `json:"tenantId,omitempty"`
	Description string `json:"description,omitempty"`
	Labels      Labels `json:"labels,omitempty"`
	Updated     string `json:"updated,omitempty"` // as sent (1.3+), not parsed
	Source      string `json:"source,omitempty"`
}

// Ref is "namespace/id".
func (f Flow) Ref() string { return f.Namespace + "/" + f.ID }

// Label is one flow label.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Labels accepts both forms Kestra has used: a list of {key,value} and a map.
type Labels []Label

// UnmarshalJSON reads a list of {key,value} or a map; values of any JSON type
// are kept as their text.
func (l *Labels) UnmarshalJSON(b []byte) error {
	var list []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &list); err == nil {
		out := make(Labels, 0, len(list))
		for _, e := range list {
			out = append(out, Label{Key: e.Key, Value: jsonText(e.Value)})
		}
		*l = out
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("labels: neither a list nor a map: %w", err)
	}
	out := make(Labels, 0, len(m))
	for k, v := range m {
		out = append(out, Label{Key: k, Value: jsonText(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	*l = out
	return nil
}

func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// Kestra's own limits on flow ids and namespaces; checking them here also
// guarantees that a path segment never needs escaping.
var (
	idPattern        = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	namespacePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

func checkRef(ns, id string) error {
	if len(ns) > 150 || !namespacePattern.MatchString(ns) {
		return fmt.Errorf("invalid namespace %q", ns)
	}
	if len(id) > 100 || !idPattern.MatchString(id) {
		return fmt.Errorf("invalid flow id %q", id)
	}
	return nil
}

// flowCall resolves the path of one flow and names the call.
func (c *Client) flowCall(ctx context.Context, verb, endpoint, method, ns, id, suffix string) (request, error) {
	call := verb + " " + ns + "/" + id
	if err := checkRef(ns, id); err != nil {
		return request{}, fmt.Errorf("%s: %w", call, err)
	}
	base, err := c.flowsPath(ctx)
	if err != nil {
		return request{}, fmt.Errorf("%s: %w", call, err)
	}
	return request{call: call, endpoint: endpoint, method: method,
		path: base + "/" + ns + "/" + id + suffix}, nil
}

// Flow returns the current revision of a flow with its source; ErrNotFound
// when it does not exist or is deleted.
func (c *Client) Flow(ctx context.Context, ns, id string) (*Flow, error) {
	r, err := c.flowCall(ctx, "get", "get", http.MethodGet, ns, id, "")
	if err != nil {
		return nil, err
	}
	r.query = url.Values{"source": {"true"}}
	var f Flow
	if err := c.getJSON(ctx, r, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// FlowRevision returns one past revision of a flow with its source.
func (c *Client) FlowRevision(ctx context.Context, ns, id string, rev int) (*Flow, error) {
	r, err := c.flowCall(ctx, "get", "revision", http.MethodGet, ns, id, "")
	if err != nil {
		return nil, err
	}
	r.call += " revision " + strconv.Itoa(rev)
	if rev < 1 {
		return nil, fmt.Errorf("%s: revisions start at 1", r.call)
	}
	r.query = url.Values{"source": {"true"}, "revision": {strconv.Itoa(rev)}}
	var f Flow
	if err := c.getJSON(ctx, r, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// Revisions returns every revision of a flow, ascending, each with its source.
func (c *Client) Revisions(ctx context.Context, ns, id string) ([]Flow, error) {
	r, err := c.flowCall(ctx, "revisions", "revisions", http.MethodGet, ns, id, "/revisions")
	if err != nil {
		return nil, err
	}
	var fs []Flow
	if err := c.getJSON(ctx, r, &fs); err != nil {
		return nil, err
	}
	return fs, nil
}

// Namespaces lists the namespaces that hold flows.
func (c *Client) Namespaces(ctx context.Context) ([]string, error) {
	base, err := c.flowsPath(ctx)
	if err != nil {
		return nil, fmt.Errorf("namespaces: %w", err)
	}
	var ns []string
	err = c.getJSON(ctx, request{call: "namespaces", endpoint: "namespaces",
		method: http.MethodGet, path: base + "/distinct-namespaces"}, &ns)
	return ns, err
}

// UpdateFlow replaces the source of an existing flow (PUT, YAML body) and
// returns the stored flow with its new revision. An identical source adds no
// revision and returns the stored one, which is why retrying is safe.
func (c *Client) UpdateFlow(ctx context.Context, ns, id string, source []byte) (*Flow, error) {
	r, err := c.flowCall(ctx, "update", "update", http.MethodPut, ns, id, "")
	if err != nil {
		return nil, err
	}
	return c.sendFlow(ctx, r, source)
}

// CreateFlow creates a flow from its source (POST, YAML body); 422 when a flow
// with that id exists.
func (c *Client) CreateFlow(ctx context.Context, source []byte) (*Flow, error) {
	base, err := c.flowsPath(ctx)
	if err != nil {
		return nil, fmt.Errorf("create flow: %w", err)
	}
	return c.sendFlow(ctx, request{call: "create flow", endpoint: "create",
		method: http.MethodPost, path: base}, source)
}

func (c *Client) sendFlow(ctx context.Context, r request, source []byte) (*Flow, error) {
	if len(source) == 0 {
		return nil, fmt.Errorf("%s: empty source", r.call)
	}
	r.body, r.contentType = source, "application/x-yaml"
	var f Flow
	if err := c.getJSON(ctx, r, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// DeleteFlow soft-deletes a flow (Kestra keeps its revisions).
func (c *Client) DeleteFlow(ctx context.Context, ns, id string) error {
	r, err := c.flowCall(ctx, "delete", "delete", http.MethodDelete, ns, id, "")
	if err != nil {
		return err
	}
	return c.do(ctx, r, func(body io.Reader) error {
		_, err := io.Copy(io.Discard, io.LimitReader(body, c.cfg.MaxAnswerSize))
		return err
	})
}
