package rewrite

import (
	"bytes"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Detections in Pebble expressions: both advisory (2.0 saves the flow, the
// expression then fails or returns something else at run time).

// Names of the Pebble detection rules (--rules, reports).
const (
	DetectPebbleVersionArgName = "detect-pebble-version-arg"
	DetectIonReadName          = "detect-ion-read"
)

// versionArgPattern is the official pattern (migrate.go pebbleVersionArg):
// read()/fileURI() with the `version=` named argument, renamed `revision` in
// 2.0 with no alias (kestra PR #16699). A heuristic that does not cross a
// nested ')', as the official one.
var versionArgPattern = regexp.MustCompile(`\b(?:read|fileURI)\s*\([^)]*\bversion\s*=`)

// NewPebbleVersionArgRule reports scalars using read()/fileURI() with
// `version=` (code pebble-version-arg, advisory), one warning per scalar.
// Rewriting is unsafe: the expression may sit inside a script body.
func NewPebbleVersionArgRule() Rule {
	return &detectRule{name: DetectPebbleVersionArgName, url: Kestra2GuideURL,
		mentions: func(s *srcScan) bool {
			return mayCall(s, []string{"read", "fileURI"}, func(after []byte) bool {
				return bytes.Contains(after, []byte("version"))
			})
		},
		detect: func(d *Document, f *detectFindings) {
			eachScalarValue(d.Root, "", func(s *yaml.Node, path func() string) {
				if !strings.Contains(s.Value, "version") || !versionArgPattern.MatchString(s.Value) {
					return // the word first: the pattern backtracks over every scalar
				}
				f.add(nil, path(), CodePebbleVersionArg, SeverityAdvisory, Kestra2GuideURL,
					"line %d: a Pebble read()/fileURI() call uses the `version=` argument, renamed `revision` in 2.0 "+
						"with no fallback: update the expression by hand", s.Line)
			})
		}}
}

// ionReadPattern is the official pattern (ion_read.go ionRead): a read() of a task
// output, maybe already inside fromIon(). Group 1 is the fromIon( prefix,
// groups 2 and 3 the task id (dot or bracket notation).
var ionReadPattern = regexp.MustCompile(`(fromIon\s*\(\s*)?\bread\s*\(\s*outputs\s*(?:\.\s*([A-Za-z0-9_]+)|\[\s*['"]([^'"]+)['"]\s*\])`)

// NewIonReadRule reports read(outputs.<id>...) not wrapped in fromIon()
// where task <id> writes ION (code ion-read, advisory): ION outputs are
// binary in 2.0, so read() returns bytes and string operations on them stop
// working. Official detectIonRead and writesIon (ion_read.go).
func NewIonReadRule() Rule {
	return &detectRule{name: DetectIonReadName, url: guideIonBinaryFormat,
		mentions: func(s *srcScan) bool {
			return mayCall(s, []string{"read"}, func(after []byte) bool {
				return bytes.HasPrefix(after[skipPebbleBlank(after, 0):], []byte("outputs"))
			})
		},
		detect: func(d *Document, f *detectFindings) {
			producers := map[string]string{}
			eachPluginMapping(d, func(m *yaml.Node, _ string) {
				id, typ := scalarText(mergedValue(m, "id")), scalarText(mergedValue(m, "type"))
				if id != "" && writesIonFile(m, typ) {
					producers[id] = typ
				}
			})
			if len(producers) == 0 {
				return
			}
			eachScalarValue(d.Root, "", func(s *yaml.Node, path func() string) {
				if !strings.Contains(s.Value, "read") {
					return
				}
				for _, sm := range ionReadPattern.FindAllStringSubmatch(s.Value, -1) {
					id := sm[2] + sm[3]
					typ, ok := producers[id]
					if sm[1] != "" || !ok {
						continue
					}
					f.add(nil, path(), CodeIonRead, SeverityAdvisory, guideIonBinaryFormat,
						"line %d: read(outputs.%s...) reads the output of %s (%s), an ION file that is binary in 2.0: read() returns "+
							"bytes, not text; wrap it: fromIon(read(...)) for the first row, fromIon(read(...), allRows=true) for all rows",
						s.Line, id, id, typ)
				}
			})
		}}
}

// writesIonFile: serdes *ToIon and FileTransform tasks, query tasks that store
// their result (fetchType: STORE, or store: true), core Write/Concat with an
// .ion extension (official writesIon).
func writesIonFile(m *yaml.Node, typ string) bool {
	switch {
	case strings.HasSuffix(typ, "ToIon"), strings.HasSuffix(typ, ".FileTransform"):
		return true
	case scalarText(mergedValue(m, "fetchType")) == "STORE", kestraTrue(mergedValue(m, "store")):
		return true
	case typ == "io.kestra.plugin.core.storage.Write", typ == "io.kestra.plugin.core.storage.Concat":
		return scalarText(mergedValue(m, "extension")) == ".ion"
	}
	return false
}
