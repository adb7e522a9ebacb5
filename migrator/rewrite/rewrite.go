package rewrite

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Status is the verdict of a rewrite on one flow; the reports add the
// statuses the engine decides (migrated, invalid, conflict, failed...).
type Status string

// The verdicts of docs/migration-rules.md a rewrite can reach.
const (
	StatusUpToDate    Status = "up-to-date"
	StatusPending     Status = "pending"
	StatusUnsupported Status = "unsupported"
)

// Change is one task (or construct) rewritten: where, which task, which
// keys, and the rule that did it.
type Change struct {
	Rule   string   `json:"rule"`
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
	Warnings []Warning
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
	target  Target
	// wholeParse verifies every edited text by parsing it whole (tests
	// compare the local verification with it)
	wholeParse bool
}

// Options configure a Rewriter.
type Options struct {
	// Rules is the rule set; nil means DefaultRules(RuleConfig{}).
	Rules []Rule
	// Only keeps the rules of these names (--rules); empty keeps all.
	Only []string
	// Target drops the rules whose output the target version does not
	// accept; "" keeps every rule.
	Target Target
	// Partial migrates the supported tasks of a flow that also has
	// unsupported ones (each left task gets a warning).
	Partial bool
}

// NewRewriter builds a rewriter over the selected rules. It fails on a
// rule name that is not in the set, so a typo selects nothing silently.
func NewRewriter(opts Options) (*Rewriter, error) {
	rules := opts.Rules
	if rules == nil {
		rules = DefaultRules(RuleConfig{})
	}
	if len(opts.Only) > 0 {
		byName := make(map[string]Rule, len(rules))
		for _, r := range rules {
			byName[r.Info().Name] = r
		}
		var picked []Rule
		for _, name := range opts.Only {
			r, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("unknown rule %q (rules: %s)", name, strings.Join(RuleNames(rules), ", "))
			}
			picked = append(picked, r)
		}
		rules = picked
	}
	var kept []Rule
	for _, r := range rules {
		if opts.Target == "" || r.Info().Since.ValidOn(opts.Target) {
			kept = append(kept, r)
		}
	}
	return &Rewriter{rules: kept, partial: opts.Partial, target: opts.Target}, nil
}

// MustRewriter is NewRewriter for option sets known to be valid (tests,
// the default set).
func MustRewriter(opts Options) *Rewriter {
	rw, err := NewRewriter(opts)
	if err != nil {
		panic(err)
	}
	return rw
}

// Target is the version the rewriter's output is valid on ("" when every
// rule runs, whatever its version).
func (r *Rewriter) Target() Target { return r.target }

// TargetFor is the target of a run against a server of version: its own
// major.minor on 1.x and older (a flow must keep working on the server that
// holds it), 2.0 from 2.0 on; 1.3 when the version cannot be read.
func TargetFor(version string) Target {
	major, minor, ok := parseVersion(version)
	switch {
	case !ok:
		return Target13
	case major >= 2:
		return Target20
	}
	return Target(strconv.Itoa(major) + "." + strconv.Itoa(minor))
}

// ParseTarget reads a --target value.
func ParseTarget(s string) (Target, error) {
	switch t := Target(s); t {
	case Target13, Target20:
		return t, nil
	}
	return "", fmt.Errorf("unknown target %q: want 1.3 or 2.0", s)
}

// Rules returns the rules the rewriter applies, in order.
func (r *Rewriter) Rules() []Rule { return r.rules }

// RuleNames lists the names of rules.
func RuleNames(rules []Rule) []string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.Info().Name
	}
	return names
}

// DeprecatedKeys returns the keys the rules deprecate, for checking the
// server's deprecationPaths after a rewrite.
func (r *Rewriter) DeprecatedKeys() []string {
	var keys []string
	for _, rule := range r.rules {
		keys = append(keys, rule.Info().Keys...)
	}
	return keys
}

// CheckServer asks every rule that needs a minimum server version whether
// its output suits a server of that version.
func (r *Rewriter) CheckServer(version string) (warnings []string, refuse bool) {
	for _, rule := range r.rules {
		if c, ok := rule.(ServerChecker); ok {
			w, no := c.CheckServer(version)
			if w != "" {
				warnings = append(warnings, w)
			}
			refuse = refuse || no
		}
	}
	return warnings, refuse
}

// ValidOn reports whether output valid since t is accepted by target.
func (t Target) ValidOn(target Target) bool {
	if t == "" {
		return true
	}
	tm, tn, _ := parseVersion(string(t))
	gm, gn, _ := parseVersion(string(target))
	return gm > tm || (gm == tm && gn >= tn)
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
	s := getScan(src)
	defer putScan(s)
	if !r.mentionsIn(s) {
		return Result{Source: src, Status: StatusUpToDate}, nil
	}
	return r.rewrite(context.Background(), src, s)
}

// RewriteContext is Rewrite that gives up when ctx is done, checking
// between its steps (each linear in the source), so that a signal is
// honoured within a second even inside one very large flow.
func (r *Rewriter) RewriteContext(ctx context.Context, src []byte) (Result, error) {
	s := getScan(src)
	defer putScan(s)
	if !r.mentionsIn(s) {
		return Result{Source: src, Status: StatusUpToDate}, nil
	}
	return r.rewrite(ctx, src, s)
}

// rewriteParsed is Rewrite without the fast path: it always parses, and
// every rule plans (the fuzz tests compare it with Rewrite).
func (r *Rewriter) rewriteParsed(src []byte) (res Result, err error) {
	return r.rewrite(context.Background(), src, nil)
}

// rewrite parses src and rewrites it. With a scan of src, a rule whose
// byte scan says no is not asked to plan: its Mentions promises it would
// find nothing (the same promise the fast path keeps for the whole flow).
func (r *Rewriter) rewrite(ctx context.Context, src []byte, s *srcScan) (res Result, err error) {
	d, err := ParseDocument(src)
	if err != nil {
		return Result{}, err
	}
	return r.rewriteDocument(ctx, d, s)
}

// RewriteDocument is RewriteContext for a source the caller has parsed
// already (to tell a flow from other YAML, say), which saves a parse. The
// rewrite changes d's tree: parse again to read the document afterwards.
func (r *Rewriter) RewriteDocument(ctx context.Context, d *Document) (Result, error) {
	s := getScan(d.Src)
	defer putScan(s)
	if !r.mentionsIn(s) {
		return Result{Source: d.Src, Status: StatusUpToDate}, nil
	}
	return r.rewriteDocument(ctx, d, s)
}

func (r *Rewriter) rewriteDocument(ctx context.Context, d *Document, s *srcScan) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, &InternalError{Panic: p}
		}
	}()
	src := d.Src
	if d.Root == nil {
		return Result{Source: src, Status: StatusUpToDate}, nil
	}
	if hasOddLineBreaks(src) {
		// the parser's line numbers do not match our line index: no edit
		if hasAnyKey(d.Root, r.DeprecatedKeys()) {
			return unsupported(src, "the source uses line breaks other than LF and CRLF (CR, NEL, LS or PS): edit it by hand"), nil
		}
		return Result{Source: src, Status: StatusUpToDate}, nil
	}
	res = Result{Source: src, Status: StatusUpToDate}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	var supported []Outcome
	for _, o := range r.plan(d, s, false) {
		switch {
		case o.Unsupported != "":
			res.Unsupported = append(res.Unsupported, o)
		case o.changes():
			supported = append(supported, o)
		default: // a detection: it says, it does not change
			res.Warnings = append(res.Warnings, o.Warnings...)
		}
	}
	if len(supported) == 0 && len(res.Unsupported) == 0 {
		return res, nil
	}
	var out []byte
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if len(supported) > 0 {
		out, err = r.apply(ctx, d, supported)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Result{}, ctxErr
		}
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
			res.Warnings = append(res.Warnings, Warning{Rule: o.Rule, Path: o.Path,
				Message: fmt.Sprintf("%s left as it is: %s", o.Describe(), o.Unsupported)})
		}
	default:
		res.Status, res.Proposed = StatusUnsupported, out
		res.Reason = unsupportedReason(res.Unsupported)
	}
	return res, nil
}

// mentions asks every rule's byte scan; the package's rules share one scan
// of the source (scan.go), a rule from outside uses its own Mentions.
func (r *Rewriter) mentions(src []byte) bool {
	s := getScan(src)
	defer putScan(s)
	return r.mentionsIn(s)
}

// mentionsIn is mentions over a scan, which remembers each rule's answer
// for plan.
func (r *Rewriter) mentionsIn(s *srcScan) bool {
	for i, rule := range r.rules {
		if s.ruleSays(i, rule) {
			return true
		}
	}
	return false
}

// ruleMentions is rule.Mentions over the shared scan s.
func ruleMentions(rule Rule, s *srcScan) bool {
	if m, ok := rule.(scanMentioner); ok {
		return m.mentionsIn(s)
	}
	return rule.Mentions(s.src)
}

// plan asks the rules for their outcomes on d, in rule order. With a scan
// of d.Src, a rule whose byte scan says no is skipped (it would find
// nothing). editsOnly skips the rules that only report (detections: their
// outcomes never edit), for the second pass, which looks for edits only.
func (r *Rewriter) plan(d *Document, s *srcScan, editsOnly bool) []Outcome {
	var all []Outcome
	for i, rule := range r.rules {
		if _, ok := rule.(reportOnly); ok && editsOnly {
			continue
		}
		if s != nil && !s.ruleSays(i, rule) {
			continue
		}
		name := rule.Info().Name
		for _, o := range rule.Plan(d) {
			o.Rule = name
			for i := range o.Warnings {
				if o.Warnings[i].Rule == "" {
					o.Warnings[i].Rule = name
				}
			}
			all = append(all, o)
		}
	}
	return all
}

// apply splices the edits, then proves the text says what was meant: the
// edited text must read as the expected tree (entry by entry where the
// edits allow it, verify_local.go; else parsed whole), and a second pass
// must find nothing more to do.
func (r *Rewriter) apply(ctx context.Context, d *Document, outcomes []Outcome) ([]byte, error) {
	var edits []Edit
	for _, o := range outcomes {
		edits = append(edits, o.Edits...)
	}
	out, ok := applyEdits(d.Src, edits)
	if !ok {
		return nil, errors.New("overlapping edits")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var local *localCheck
	if !r.wholeParse {
		local = d.localCheckFor(edits)
	}
	var before uint64
	if local != nil {
		before = local.outsideHash(d.Root)
	}
	for _, o := range outcomes {
		o.Mutate()
	}
	d.forgetWalk()
	var got *Document
	verified := local != nil && local.outsideHash(d.Root) == before && local.verify(out)
	if !verified {
		var err error
		if got, err = ParseDocument(out); err != nil {
			return nil, fmt.Errorf("the result does not parse: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if where, same := equalNodes(d.Root, got.Root, ""); !same {
			return nil, fmt.Errorf("the result differs from the expected tree at %s", orRoot(where))
		}
	}
	// the second pass: every rule that can edit plans again on the result,
	// but a rule whose byte scan of it says no would find nothing (the fast
	// path's promise), so most results need no parse for it
	s := getScan(out)
	defer putScan(s)
	again := false
	for i, rule := range r.rules {
		if _, ok := rule.(reportOnly); !ok && s.ruleSays(i, rule) {
			again = true
			break
		}
	}
	if !again {
		return out, nil
	}
	if got == nil {
		got = local.graft(d, out) // the tree a parse of out gives, from the proof's parts
	}
	if got == nil {
		var err error
		if got, err = ParseDocument(out); err != nil {
			return nil, fmt.Errorf("the result does not parse: %w", err)
		}
	}
	for _, o := range r.plan(got, s, true) {
		if o.Unsupported == "" && o.changes() {
			return nil, fmt.Errorf("a second pass would change %s again", o.Describe())
		}
	}
	return out, nil
}

func unsupported(src []byte, reason string) Result {
	return Result{Source: src, Status: StatusUnsupported, Reason: reason}
}

func unsupportedReason(outs []Outcome) string {
	if len(outs) == 1 {
		return fmt.Sprintf("%s: %s", outs[0].Describe(), outs[0].Unsupported)
	}
	return fmt.Sprintf("%d tasks must be migrated by hand; first %s: %s",
		len(outs), outs[0].Describe(), outs[0].Unsupported)
}

// Describe names a task as "tasks[1] (fetch)".
func (o Outcome) Describe() string {
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

// hasAnyKey reports a mapping key anywhere in the tree equal to one of keys
// (aliases are not followed: what they point to is visited where it stands).
func hasAnyKey(root *yaml.Node, keys []string) bool {
	found := false
	walkNodes(root, func(n *yaml.Node) {
		if found || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i < len(n.Content); i += 2 {
			for _, k := range keys {
				if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == k {
					found = true
				}
			}
		}
	})
	return found
}
