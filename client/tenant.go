package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// ResolveTenant returns the tenant used in flow paths; "" means the
// tenant-less paths of Kestra <= 0.22. With Tenant "" or "auto" the first
// call probes GET /api/v1/main/flows/search: 200 selects "main"; 404 probes
// /api/v1/flows/search and, on 200, selects the tenant-less paths. The answer
// is kept for the life of the Client; an error (e.g. 401, network) is not
// kept, so a later call probes again.
func (c *Client) ResolveTenant(ctx context.Context) (string, error) {
	c.tenantMu.Lock()
	defer c.tenantMu.Unlock()
	if c.tenantKnown {
		return c.tenant, nil
	}
	var tenant string
	switch c.cfg.Tenant {
	case "none":
	case "", "auto":
		t, err := c.detectTenant(ctx)
		if err != nil {
			return "", err
		}
		tenant = t
		c.cfg.Logger.Debug("kestra tenant detected", "tenant", tenant, "tenantless", tenant == "")
	default:
		tenant = c.cfg.Tenant
	}
	c.tenant, c.tenantKnown = tenant, true
	return tenant, nil
}

func (c *Client) detectTenant(ctx context.Context) (string, error) {
	err := c.probe(ctx, flowsBase("main"))
	if err == nil {
		return "main", nil
	}
	if !errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("detect tenant: %w", err)
	}
	err = c.probe(ctx, flowsBase(""))
	if err == nil {
		return "", nil
	}
	if errors.Is(err, ErrNotFound) {
		return "", errors.New("detect tenant: neither /api/v1/main/flows nor /api/v1/flows exists on this server: set the tenant explicitly (Enterprise) or check the server URL")
	}
	return "", fmt.Errorf("detect tenant: %w", err)
}

func (c *Client) probe(ctx context.Context, base string) error {
	var page searchPage
	return c.getJSON(ctx, request{
		call: "probe " + base, endpoint: "search", method: http.MethodGet,
		path: base + "/search", query: url.Values{"page": {"1"}, "size": {"1"}},
	}, &page)
}

// flowsBase is the flows path for a tenant ("" = tenant-less).
func flowsBase(tenant string) string {
	if tenant == "" {
		return "/api/v1/flows"
	}
	return "/api/v1/" + tenant + "/flows"
}

// flowsPath resolves the tenant and returns the flows base path.
func (c *Client) flowsPath(ctx context.Context) (string, error) {
	t, err := c.ResolveTenant(ctx)
	if err != nil {
		return "", err
	}
	return flowsBase(t), nil
}

// ServerVersion reads "version" from GET /api/v1/configs. It returns "" and
// no error when the server has no such endpoint (404). A found version is
// kept for the life of the Client.
func (c *Client) ServerVersion(ctx context.Context) (string, error) {
	cfg, err := c.configs(ctx)
	return cfg.Version, err
}

// ServerInstance reads Kestra's own instance id, the "uuid" of GET
// /api/v1/configs: it tells one Kestra installation from another even
// behind the same URL. "" when the server does not give one (no such
// endpoint, or an older version). Read with ServerVersion, in one request.
//
// Kestra's MiscController.getConfiguration answers
// .uuid(instanceService.fetch()); InstanceService keeps that id in the
// settings table (Setting.INSTANCE_UUID, created once), so a copy of a
// server's database shares it: compare it together with the URL.
func (c *Client) ServerInstance(ctx context.Context) (string, error) {
	cfg, err := c.configs(ctx)
	return cfg.UUID, err
}

// serverConfigs is what the client reads of GET /api/v1/configs.
type serverConfigs struct {
	Version string `json:"version"`
	UUID    string `json:"uuid"`
}

// configs reads GET /api/v1/configs once for the life of the Client; a 404
// is an empty answer, an error is not kept.
func (c *Client) configs(ctx context.Context) (serverConfigs, error) {
	c.versionMu.Lock()
	defer c.versionMu.Unlock()
	if c.serverCfg != nil {
		return *c.serverCfg, nil
	}
	var cfg serverConfigs
	err := c.getJSON(ctx, request{call: "server version", endpoint: "configs",
		method: http.MethodGet, path: "/api/v1/configs"}, &cfg)
	if errors.Is(err, ErrNotFound) {
		return serverConfigs{}, nil
	}
	if err != nil {
		return serverConfigs{}, err
	}
	c.serverCfg = &cfg
	return cfg, nil
}
