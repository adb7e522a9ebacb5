package kestratest

import (
	"fmt"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
)

// The fake's types, under the names tests have always used.
type (
	Server  = kestrafake.Server
	Options = kestrafake.Options
	Mode    = kestrafake.Mode
	Naming  = kestrafake.Naming
	Flow    = kestrafake.Flow
	Faults  = kestrafake.Faults
	Editor  = kestrafake.Editor
	Edit    = kestrafake.Edit

	SeedFlow = kestrafake.SeedFlow
)

// Server eras and export namings (see kestrafake).
const (
	ModeTenant     = kestrafake.ModeTenant
	ModeLegacy     = kestrafake.ModeLegacy
	ModeEnterprise = kestrafake.ModeEnterprise

	NamingAuto = kestrafake.NamingAuto
	NamingDash = kestrafake.NamingDash
	NamingDot  = kestrafake.NamingDot
)

// Endpoint labels of the fake's counters and faults (see kestrafake).
const (
	EndpointConfigs          = kestrafake.EndpointConfigs
	EndpointSearch           = kestrafake.EndpointSearch
	EndpointNamespaces       = kestrafake.EndpointNamespaces
	EndpointList             = kestrafake.EndpointList
	EndpointGet              = kestrafake.EndpointGet
	EndpointRevision         = kestrafake.EndpointRevision
	EndpointRevisions        = kestrafake.EndpointRevisions
	EndpointExport           = kestrafake.EndpointExport
	EndpointValidate         = kestrafake.EndpointValidate
	EndpointUpdate           = kestrafake.EndpointUpdate
	EndpointCreate           = kestrafake.EndpointCreate
	EndpointDelete           = kestrafake.EndpointDelete
	EndpointBulk             = kestrafake.EndpointBulk
	EndpointNamespaceReplace = kestrafake.EndpointNamespaceReplace
	EndpointUnknown          = kestrafake.EndpointUnknown
)

// Start starts a fake on a loopback port, closed when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := kestrafake.New(opts)
	tb.Cleanup(s.Close)
	return s
}

// MustAdd adds every source as if created through the API (so each must
// validate), failing tb on the first error.
func MustAdd(tb testing.TB, s *Server, sources ...string) []Flow {
	tb.Helper()
	out := make([]Flow, 0, len(sources))
	for _, src := range sources {
		f, err := s.AddFlow(src)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// MustSeed stores each source as seeding does (see kestrafake.Server.Seed):
// byte for byte, valid today or not, a later source replacing an earlier one
// with the same id. It logs on tb each that would not validate or replaced
// another, and fails tb when one names no valid flow id and namespace.
func MustSeed(tb testing.TB, s *Server, sources ...string) []SeedFlow {
	tb.Helper()
	out := make([]SeedFlow, 0, len(sources))
	for i, src := range sources {
		f, err := s.Seed(fmt.Sprintf("source %d", i+1), src)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, f)
	}
	logSeeded(tb, out)
	return out
}

// MustSeedDir is MustSeed over the flow files under dir (see
// kestrafake.Server.SeedDir).
func MustSeedDir(tb testing.TB, s *Server, dir string) []SeedFlow {
	tb.Helper()
	out, err := s.SeedDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	logSeeded(tb, out)
	return out
}

func logSeeded(tb testing.TB, seeded []SeedFlow) {
	tb.Helper()
	for _, f := range seeded {
		for _, p := range f.Problems() {
			tb.Logf("kestratest: seed: %s", p)
		}
	}
}
