package daemon

import (
	"net"
	"net/http"
	"strings"
)

// hostGuard refuses requests whose Host header names no host this daemon
// answers for: a web page that rebinds its own DNS name to the daemon's
// address (DNS rebinding) sends its name in Host, never the daemon's. It
// accepts localhost and loopback addresses, the listen address, any IP
// address when listening on every interface (a pod scraped by its IP), and
// the names in allowed ("*": any).
func hostGuard(listen string, allowed []string, next http.Handler) http.Handler {
	listenHost, _, _ := net.SplitHostPort(listen)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host, listenHost, allowed) {
			http.Error(w, "host "+r.Host+" is not one this daemon answers for: add it to allowed-hosts", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed applies hostGuard's rule to one Host header.
func hostAllowed(hostHeader, listenHost string, allowed []string) bool {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	switch lh := strings.ToLower(strings.Trim(listenHost, "[]")); {
	case ip != nil && ip.IsLoopback():
		return true
	case host == lh:
		return true
	case ip != nil && (lh == "" || net.ParseIP(lh).IsUnspecified()):
		return true // every interface: an address, never a name that could be rebound
	}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		if h, _, err := net.SplitHostPort(a); err == nil {
			a = h
		}
		if a == "*" || strings.Trim(a, "[]") == host {
			return true
		}
	}
	return false
}
