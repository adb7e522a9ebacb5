package report

import (
	"bufio"
	"encoding/json"
	"io"
	"iter"
	"runtime"
)

type jsonFormat struct{}

// Format writes the report a namespace at a time, so a large fleet's report
// is never held whole in memory as JSON.
func (jsonFormat) Format(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	jw := &jsonWriter{w: bw}
	jw.raw("{\n")
	jw.field("schemaVersion", r.SchemaVersion)
	jw.field("command", r.Command)
	jw.field("runId", r.RunID)
	jw.field("server", r.Server)
	jw.field("tenant", r.Tenant)
	if r.ServerVersion != "" {
		jw.field("serverVersion", r.ServerVersion)
	}
	if r.Target != "" {
		jw.field("target", r.Target)
	}
	if len(r.Rules) > 0 {
		jw.field("rules", r.Rules)
	}
	jw.field("startedAt", r.StartedAt)
	jw.field("finishedAt", r.FinishedAt)
	jw.field("summary", r.Summary)
	jw.raw(`  "namespaces": [`)
	for i, b := range marshalInOrder(r.Namespaces, "    ") {
		if i > 0 {
			jw.raw(",")
		}
		jw.raw("\n    ")
		jw.encoded(b)
	}
	if len(r.Namespaces) > 0 {
		jw.raw("\n  ")
	}
	jw.raw("]")
	if len(r.Warnings) > 0 {
		jw.last(",\n  \"warnings\": ", r.Warnings)
	}
	jw.last(",\n  \"readiness\": ", r.Readiness)
	if len(r.Runs) > 0 {
		jw.last(",\n  \"runs\": ", r.Runs)
	}
	if r.Source != "" {
		jw.last(",\n  \"source\": ", r.Source)
	}
	jw.raw("\n}\n")
	if jw.err != nil {
		return jw.err
	}
	return bw.Flush()
}

// jsonWriter writes indented JSON piece by piece, keeping the first error.
type jsonWriter struct {
	w   *bufio.Writer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) value(v any, indent string) {
	if j.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

// encoded writes a value marshalIndent made.
func (j *jsonWriter) encoded(m marshaled) {
	if j.err == nil {
		j.err = m.err
	}
	if j.err == nil {
		_, j.err = j.w.Write(m.b)
	}
}

type marshaled struct {
	b   []byte
	err error
}

// marshalInOrder marshals the namespaces on every core, a few ahead of the
// writer, and yields them in order: encoding/json is most of the time
// spent writing a large report, and a namespace is encoded on its own. At
// most twice the cores' namespaces are held encoded at once.
func marshalInOrder(nss []NamespaceReport, indent string) iter.Seq2[int, marshaled] {
	return func(yield func(int, marshaled) bool) {
		ahead := 2 * runtime.GOMAXPROCS(0)
		pending := make([]chan marshaled, len(nss))
		start := func(i int) {
			pending[i] = make(chan marshaled, 1)
			go func() {
				b, err := json.MarshalIndent(nss[i], indent, "  ")
				pending[i] <- marshaled{b, err}
			}()
		}
		for i := 0; i < min(ahead, len(nss)); i++ {
			start(i)
		}
		for i := range nss {
			m := <-pending[i]
			pending[i] = nil
			if next := i + ahead; next < len(nss) {
				start(next)
			}
			if !yield(i, m) {
				return // the started ones finish into their buffered channels
			}
		}
	}
}

// field writes `  "name": value,` and a line break.
func (j *jsonWriter) field(name string, v any) {
	j.raw(`  "` + name + `": `)
	j.value(v, "  ")
	j.raw(",\n")
}

func (j *jsonWriter) last(prefix string, v any) {
	j.raw(prefix)
	j.value(v, "  ")
}

// FormatRuns writes the runs as one versioned JSON document.
func (jsonFormat) FormatRuns(w io.Writer, l *RunList) error { return writeIndented(w, l) }

// FormatSnapshots writes the snapshots as one versioned JSON document.
func (jsonFormat) FormatSnapshots(w io.Writer, l *SnapshotList) error { return writeIndented(w, l) }

// FormatDemo writes the demo's reports as one JSON document.
func (f jsonFormat) FormatDemo(w io.Writer, d *Demo) error {
	bw := bufio.NewWriter(w)
	jw := &jsonWriter{w: bw}
	jw.raw("{\n")
	jw.field("schemaVersion", d.SchemaVersion)
	jw.field("command", d.Command)
	jw.raw(`  "reports": [`)
	for i, r := range d.Reports {
		if i > 0 {
			jw.raw(",")
		}
		jw.raw("\n")
		if jw.err == nil {
			jw.err = f.Format(bw, r)
		}
	}
	jw.raw("]\n}\n")
	if jw.err != nil {
		return jw.err
	}
	return bw.Flush()
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
