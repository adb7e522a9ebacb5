package kestratest

import (
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
