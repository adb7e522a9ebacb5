package kestrafake

import "maps"

// Endpoint labels used by the counters, the faults and the logs. They match
// the client's Observer labels where both exist.
const (
	EndpointConfigs          = "configs"
	EndpointSearch           = "search"
	EndpointNamespaces       = "namespaces"
	EndpointList             = "list" // GET /{ns}
	EndpointGet              = "get"
	EndpointRevision         = "revision" // GET /{ns}/{id}?revision=N
	EndpointRevisions        = "revisions"
	EndpointExport           = "export"
	EndpointValidate         = "validate"
	EndpointUpdate           = "update"
	EndpointCreate           = "create"
	EndpointDelete           = "delete"
	EndpointBulk             = "bulk"              // refused
	EndpointNamespaceReplace = "namespace-replace" // refused
	EndpointUnknown          = "unknown"           // no endpoint serves the method and path: 404, or 405 with Allow
)

func (s *Server) count(endpoint string) {
	s.cmu.Lock()
	s.counts[endpoint]++
	s.cmu.Unlock()
}

// Requests returns the number of requests received per endpoint label,
// including those answered by an injected fault or refused by auth.
func (s *Server) Requests() map[string]int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return maps.Clone(s.counts)
}

// RequestCount is the number of requests received for one endpoint.
func (s *Server) RequestCount(endpoint string) int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.counts[endpoint]
}

// TotalRequests is the number of requests received on any endpoint.
func (s *Server) TotalRequests() int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// Writes is the number of requests that may change flows: create, update,
// delete, and the refused bulk and namespace-replace calls.
func (s *Server) Writes() int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.counts[EndpointCreate] + s.counts[EndpointUpdate] + s.counts[EndpointDelete] +
		s.counts[EndpointBulk] + s.counts[EndpointNamespaceReplace]
}

// ResetCounters sets every counter to zero.
func (s *Server) ResetCounters() {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	clear(s.counts)
}
