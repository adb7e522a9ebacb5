package migrator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// FlowSource is the Kestra server as the engine uses it (client.Client).
type FlowSource interface {
	Server() string
	ServerVersion(ctx context.Context) (string, error)
	ServerInstance(ctx context.Context) (string, error)
	ResolveTenant(ctx context.Context) (string, error)
	Namespaces(ctx context.Context) ([]string, error)
	SearchFlows(ctx context.Context, q client.SearchQuery) iter.Seq2[client.Flow, error]
	ExportNamespace(ctx context.Context, ns string, fn func(client.ExportedFlow) error) error
	Flow(ctx context.Context, ns, id string) (*client.Flow, error)
	FlowRevision(ctx context.Context, ns, id string, rev int) (*client.Flow, error)
	Revisions(ctx context.Context, ns, id string) ([]client.Flow, error)
	Validate(ctx context.Context, sources [][]byte) ([]client.Validation, error)
	UpdateFlow(ctx context.Context, ns, id string, source []byte) (*client.Flow, error)
}

// StateStore is the state file as the engine uses it (store.Store).
type StateStore interface {
	BindServer(id store.ServerID) error
	CreateRun(r store.Run) error
	FinishRun(id string, finishedAt time.Time, status string, counters map[string]int, errMsg string) error
	Run(id string) (store.Run, error)
	Runs(limit int) ([]store.Run, error)
	SaveSnapshot(snap store.Snapshot) error
	MarkSnapshot(runID, ns, id string, state store.SnapshotState, newRevision int, by string) error
	MarkSnapshots(marks []store.SnapshotMark) error
	Snapshots(f store.SnapshotFilter) ([]store.Snapshot, error)
	FlowStates(ns string) (map[string]store.FlowState, error)
	RecordNamespace(states []store.FlowState, p store.NamespaceProgress, marks ...store.SnapshotMark) error
	Progress(ns string) (store.NamespaceProgress, error)
}

// Observer is told about the engine's progress (progress bars, metrics).
type Observer interface {
	NamespacesFound(n int)
	FlowDone(ns string, s report.Status)
	NamespaceDone(ns string, c report.Counts)
}

// Engine drives scan -> rewrite -> validate -> snapshot -> write -> record,
// per namespace, streamed.
type Engine struct {
	Source FlowSource
	Store  StateStore // required to apply; plan uses it only when set (daemon)
	// Rewriter is a fixed rule set. When it is nil, each run builds one from
	// RewriteOptions for their Target, else for the server's version: on a
	// 1.x server only rules whose output 1.x accepts run.
	Rewriter       *rewrite.Rewriter
	RewriteOptions rewrite.Options
	Log            *slog.Logger
	Observer       Observer
	Concurrency    int  // flows in flight at once
	Validate       bool // validate rewritten sources through the server
	Diff           bool // attach unified diffs to report items
	// ListUpToDate lists up-to-date flows in the report too (else counted only).
	ListUpToDate bool
	// Incremental skips flows whose revision matches the state file's record
	// of an earlier pass (the daemon): a quiet fleet costs a search per namespace.
	Incremental bool
	// MaxConnFailures stops a run after this many consecutive requests failed
	// to reach the server (each after the client's own retries); default 3.
	MaxConnFailures int
	Now             func() time.Time
}

// Mode says whether a run writes.
type Mode string

// Run modes.
const (
	ModePlan  Mode = "plan"
	ModeApply Mode = "apply"
)

// RunOptions select what one run does.
type RunOptions struct {
	Mode      Mode
	Selection Selection
	// Resume continues an interrupted apply run of the same selection,
	// skipping the namespaces it finished. Default on for apply.
	Resume bool
	// QuietRuns records an apply run in the state file only if it writes
	// something (the daemon's passes: a quiet fleet leaves no trace).
	QuietRuns bool
	// Previous is the report of the pass before (the daemon, Incremental):
	// a flow unchanged since is reported as it was, changes and diff
	// included, without being read again.
	Previous *report.Report
}

var (
	// ErrOldServer refuses to apply against a server a rule's output does not suit.
	ErrOldServer = errors.New("server too old")
	// ErrNoMatch: a selector (--namespace, --flow, --run) matched nothing;
	// the error names it, and nothing was recorded.
	ErrNoMatch = errors.New("matched nothing")
	// ErrInterrupted: the run was stopped by its context (a signal); the
	// flows it did not reach are reported not-attempted, and it is recorded
	// as interrupted (a re-run resumes it).
	ErrInterrupted = errors.New("interrupted")
)

// rewriterFor returns the rule set of a run against a server of version.
func (e *Engine) rewriterFor(version string) (*rewrite.Rewriter, error) {
	if e.Rewriter != nil {
		return e.Rewriter, nil
	}
	opts := e.RewriteOptions
	if opts.Target == "" {
		opts.Target = rewrite.TargetFor(version)
	}
	return rewrite.NewRewriter(opts)
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// sourceHash identifies a flow source in the state file.
func sourceHash(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:16])
}

// Selection chooses flows: namespaces (with their children), single flows,
// exclusions, or everything.
type Selection struct {
	All        bool
	Namespaces []string
	Flows      []string // "namespace/id"
	Exclude    []string
	// ExcludeFlows ("namespace/id") are acknowledged by the operator: never
	// read or written, counted as excluded.
	ExcludeFlows []string
}

// Empty reports a selection that names nothing.
func (s Selection) Empty() bool { return !s.All && len(s.Namespaces) == 0 && len(s.Flows) == 0 }

// Kestra's patterns for namespaces and flow ids (docs/kestra-api.md).
var (
	namespacePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	flowIDPattern    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
)

// FlowRef names one flow.
type FlowRef struct{ Namespace, ID string }

func (f FlowRef) String() string { return f.Namespace + "/" + f.ID }

// ParseFlowRef reads a --flow value, NAMESPACE/ID, checked against Kestra's
// patterns: the one parser of every --flow.
func ParseFlowRef(s string) (FlowRef, error) {
	ns, id, ok := strings.Cut(s, "/")
	if !ok || !namespacePattern.MatchString(ns) || !flowIDPattern.MatchString(id) {
		return FlowRef{}, fmt.Errorf("--flow %q: want NAMESPACE/ID (a namespace is lower case: [a-z0-9._-])", s)
	}
	return FlowRef{Namespace: ns, ID: id}, nil
}

// Validate checks the selectors' syntax against Kestra's patterns.
func (s Selection) Validate() error {
	for _, f := range append(append([]string{}, s.Flows...), s.ExcludeFlows...) {
		if _, err := ParseFlowRef(f); err != nil {
			return err
		}
	}
	for _, f := range s.ExcludeFlows {
		ns, id, ok := strings.Cut(f, "/")
		if !ok || !namespacePattern.MatchString(ns) || !flowIDPattern.MatchString(id) {
			return fmt.Errorf("--exclude-flow %q: want NAMESPACE/ID (a namespace is lower case: [a-z0-9._-])", f)
		}
	}
	for _, ns := range append(append([]string{}, s.Namespaces...), s.Exclude...) {
		if !namespacePattern.MatchString(ns) {
			return fmt.Errorf("namespace %q is not a Kestra namespace (lower case letters, digits, '.', '_', '-')", ns)
		}
	}
	return nil
}

// Strings describes the selection for the state file.
func (s Selection) Strings() []string {
	var out []string
	if s.All {
		out = append(out, "--all")
	}
	for _, n := range s.Namespaces {
		out = append(out, "--namespace="+n)
	}
	for _, f := range s.Flows {
		out = append(out, "--flow="+f)
	}
	for _, x := range s.Exclude {
		out = append(out, "--exclude-namespace="+x)
	}
	for _, x := range s.ExcludeFlows {
		out = append(out, "--exclude-flow="+x)
	}
	sort.Strings(out)
	return out
}

// under reports whether ns is prefix or one of its children.
func under(ns, prefix string) bool {
	return ns == prefix || strings.HasPrefix(ns, prefix+".")
}

// scope is the resolved selection: which namespaces, and in each, either
// every flow or only some ids.
type scope struct {
	namespaces []string
	only       map[string]map[string]bool // namespace -> ids, for namespaces selected by --flow alone
	excluded   map[string]map[string]bool // namespace -> ids the operator acknowledged
}

// resolve turns a selection into namespaces, from the server's list.
func (s Selection) resolve(serverNamespaces []string) scope {
	sc := scope{only: map[string]map[string]bool{}, excluded: byNamespace(s.ExcludeFlows)}
	flows := s.flowsByNamespace()
	for _, ns := range serverNamespaces {
		if s.excluded(ns) {
			continue
		}
		switch {
		case s.All || s.coversNamespace(ns):
			sc.namespaces = append(sc.namespaces, ns)
		case flows[ns] != nil:
			sc.namespaces = append(sc.namespaces, ns)
			sc.only[ns] = flows[ns]
		}
	}
	sort.Strings(sc.namespaces)
	return sc
}

// flowsByNamespace groups the --flow selectors: namespace -> ids.
func (s Selection) flowsByNamespace() map[string]map[string]bool { return byNamespace(s.Flows) }

// byNamespace groups NAMESPACE/ID references: namespace -> ids.
func byNamespace(refs []string) map[string]map[string]bool {
	flows := map[string]map[string]bool{}
	for _, f := range refs {
		ref, err := ParseFlowRef(f)
		if err != nil {
			continue // refused by Validate
		}
		if flows[ref.Namespace] == nil {
			flows[ref.Namespace] = map[string]bool{}
		}
		flows[ref.Namespace][ref.ID] = true
	}
	return flows
}

func (s Selection) coversNamespace(ns string) bool {
	for _, p := range s.Namespaces {
		if under(ns, p) {
			return true
		}
	}
	return false
}

// excludesFlow reports an acknowledged flow (ExcludeFlows).
func (s Selection) excludesFlow(ns, id string) bool {
	for _, f := range s.ExcludeFlows {
		if f == ns+"/"+id {
			return true
		}
	}
	return false
}

func (s Selection) excluded(ns string) bool {
	for _, p := range s.Exclude {
		if under(ns, p) {
			return true
		}
	}
	return false
}
