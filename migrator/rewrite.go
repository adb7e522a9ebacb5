package migrator

import (
	"errors"
	"fmt"
)

// Status is the one status a flow has in every report.
type Status string

// The statuses of docs/migration-rules.md.
const (
	StatusUpToDate    Status = "up-to-date"
	StatusPending     Status = "pending"
	StatusMigrated    Status = "migrated"
	StatusInvalid     Status = "invalid"
	StatusConflict    Status = "conflict"
	StatusUnsupported Status = "unsupported"
	StatusFailed      Status = "failed"
)

// Statuses lists every status in report order.
var Statuses = []Status{StatusUpToDate, StatusPending, StatusMigrated, StatusInvalid,
	StatusConflict, StatusUnsupported, StatusFailed}

// Change is one task rewritten: where, which task, and which keys.
type Change struct {
	Path   string   `json:"path"`
	TaskID string   `json:"taskId"`
	Type   string   `json:"type"`
	From   []string `json:"from"`
	To     []string `json:"to"`
}

// Result is the outcome of rewriting one flow source.
type Result struct {
	// Source is the text to store: the migrated source when Status is
	// pending, else the input unchanged.
	Source   []byte
	Status   Status
	Changes  []Change
	Warnings []string
	// Unsupported lists the tasks that must be migrated by hand.
	Unsupported []Outcome
	// Reason summarizes why the flow is unsupported.
	Reason string
	// Proposed is what the supported tasks would become when the flow as a
	// whole is unsupported (nil when there is nothing to propose).
	Proposed []byte
}

// Rewriter applies a set of rules to flow sources. It is safe for concurrent use.
type Rewriter struct {
	rules   []Rule
	partial bool
}

// Options configure a Rewriter.
type Options struct {
	Runner RunnerOptions
	// Partial migrates the supported tasks of a flow that also has
	// unsupported ones (each left task gets a warning).
	Partial bool
	// Rules replaces the default rule set (tests, future rules).
	Rules []Rule
}

// NewRewriter builds a rewriter with the runner rule (or opts.Rules).
func NewRewriter(opts Options) *Rewriter {
	rules := opts.Rules
	if rules == nil {
		rules = []Rule{NewRunnerRule(opts.Runner)}
	}
	return &Rewriter{rules: rules, partial: opts.Partial}
}

// InternalError is a bug caught while rewriting one flow: the flow is
// reported failed and the run goes on.
type InternalError struct{ Panic any }

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error in the rewrite: %v", e.Panic)
}

// Rewrite migrates one flow source. It returns an error only when the source
// cannot be parsed (a *ParseError) or on a bug (*InternalError); every other
// problem is a status.
func (r *Rewriter) Rewrite(src []byte) (res Result, err error) {
	if !r.mentions(src) {
		return Result{Source: src, Status: StatusUpToDate}, nil
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, &InternalError{Panic: p}
		}
	}()
	if hasOddLineBreaks(src) {
		return unsupported(src, "the source uses line breaks other than LF and CRLF (CR, NEL, LS or PS): edit it by hand"), nil
	}
	d, err := ParseDocument(src)
	if err != nil {
		return Result{}, err
	}
	if d.Root == nil {
		return Result{Source: src, Status: StatusUpToDate}, nil
	}
	outcomes := r.plan(d)
	if len(outcomes) == 0 {
		return Result{Source: src, Status: StatusUpToDate}, nil
	}
	res = Result{Source: src}
	var supported []Outcome
	for _, o := range outcomes {
		if o.Unsupported != "" {
			res.Unsupported = append(res.Unsupported, o)
			continue
		}
		supported = append(supported, o)
	}
	var out []byte
	if len(supported) > 0 {
		out, err = r.apply(d, supported)
		if err != nil {
			return unsupported(src, "the rewrite could not be verified: "+err.Error()), nil
		}
		for _, o := range supported {
			res.Changes = append(res.Changes, o.Change)
			res.Warnings = append(res.Warnings, o.Warnings...)
		}
	}
	switch {
	case len(res.Unsupported) == 0:
		res.Source, res.Status = out, StatusPending
	case r.partial && len(supported) > 0:
		res.Source, res.Status = out, StatusPending
		for _, o := range res.Unsupported {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s left as it is: %s", o.describe(), o.Unsupported))
		}
	default:
		res.Status, res.Proposed = StatusUnsupported, out
		res.Reason = unsupportedReason(res.Unsupported)
	}
	return res, nil
}

func (r *Rewriter) mentions(src []byte) bool {
	for _, rule := range r.rules {
		if rule.Mentions(src) {
			return true
		}
	}
	return false
}

func (r *Rewriter) plan(d *Document) []Outcome {
	var all []Outcome
	for _, rule := range r.rules {
		all = append(all, rule.Plan(d)...)
	}
	return all
}

// apply splices the edits, then proves the text says what was meant: the
// re-parsed result must equal the expected tree, and a second pass must find
// nothing more to do.
func (r *Rewriter) apply(d *Document, outcomes []Outcome) ([]byte, error) {
	var edits []Edit
	for _, o := range outcomes {
		edits = append(edits, o.Edits...)
	}
	out, ok := applyEdits(d.Src, edits)
	if !ok {
		return nil, errors.New("overlapping edits")
	}
	got, err := ParseDocument(out)
	if err != nil {
		return nil, fmt.Errorf("the result does not parse: %w", err)
	}
	for _, o := range outcomes {
		o.Mutate()
	}
	if where, same := equalNodes(d.Root, got.Root, ""); !same {
		return nil, fmt.Errorf("the result differs from the expected tree at %s", orRoot(where))
	}
	for _, o := range r.plan(got) {
		if o.Unsupported == "" {
			return nil, fmt.Errorf("a second pass would change %s again", o.describe())
		}
	}
	return out, nil
}

func unsupported(src []byte, reason string) Result {
	return Result{Source: src, Status: StatusUnsupported, Reason: reason}
}

func unsupportedReason(outs []Outcome) string {
	if len(outs) == 1 {
		return fmt.Sprintf("%s: %s", outs[0].describe(), outs[0].Unsupported)
	}
	return fmt.Sprintf("%d tasks must be migrated by hand; first %s: %s",
		len(outs), outs[0].describe(), outs[0].Unsupported)
}

// describe names a task as "tasks[1] (fetch)".
func (o Outcome) describe() string {
	if o.TaskID == "" {
		return orRoot(o.Path)
	}
	return fmt.Sprintf("%s (%s)", orRoot(o.Path), o.TaskID)
}

func orRoot(path string) string {
	if path == "" {
		return "the document root"
	}
	return path
}
