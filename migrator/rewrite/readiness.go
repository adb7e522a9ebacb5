package rewrite

// ReadinessClass sorts a flow for the upgrade readiness view of the reports.
type ReadinessClass string

// The readiness classes, from the worst.
const (
	// ReadinessBlocking: 2.0 would refuse the flow and the tool cannot fix
	// all of it (a blocking detection, or usage left to migrate by hand).
	ReadinessBlocking ReadinessClass = "blocking"
	// ReadinessFixable: the rewrite changes the flow and nothing blocks.
	ReadinessFixable ReadinessClass = "fixable"
	// ReadinessAdvisory: nothing to rewrite, nothing blocking, but 2.0 may
	// run the flow differently (advisory detections).
	ReadinessAdvisory ReadinessClass = "advisory"
	// ReadinessReady: nothing found.
	ReadinessReady ReadinessClass = "ready"
)

// Readiness classifies one rewrite result: blocking if any warning is
// blocking, the flow is unsupported or tasks were left to migrate by hand
// (a --partial rewrite keeps them in Unsupported); else fixable if the
// rewrite has changes; else advisory if any warning is advisory; else ready.
// A fixable flow may carry advisory warnings too: fixing comes first.
func Readiness(res Result) ReadinessClass {
	advisory := false
	for _, w := range res.Warnings {
		switch w.Severity {
		case SeverityBlocking:
			return ReadinessBlocking
		case SeverityAdvisory:
			advisory = true
		}
	}
	switch {
	case res.Status == StatusUnsupported || len(res.Unsupported) > 0:
		return ReadinessBlocking
	case res.Status == StatusPending || len(res.Changes) > 0:
		return ReadinessFixable
	case advisory:
		return ReadinessAdvisory
	}
	return ReadinessReady
}
