package report

import "io"

type diffFormat struct{}

// Format prints the unified diff of every flow that would change (or did).
func (diffFormat) Format(w io.Writer, r *Report) error {
	for _, ns := range r.Namespaces {
		for _, it := range ns.Items {
			if it.Diff == "" {
				continue
			}
			if _, err := io.WriteString(w, it.Diff); err != nil {
				return err
			}
		}
	}
	return nil
}
