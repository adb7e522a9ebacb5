package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/kestra-migrator/kestra-migrator/client"
)

// explain adds to a command's error the setting that most likely fixes it.
func (a *app) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, http.ErrSchemeMismatch):
		return fmt.Errorf("%w (the server speaks plain HTTP: use --server %s)", err, strings.Replace(a.cfg.Server, "https://", "http://", 1))
	case errors.Is(err, client.ErrUnauthorized):
		return fmt.Errorf("%w (check --username and --password/--password-file, or --token: $%s, $%s, $%s)",
			err, envName("username"), envName("password"), envName("token"))
	case errors.Is(err, client.ErrForbidden), errors.Is(err, client.ErrNotFound) && a.cfg.Tenant != "":
		return fmt.Errorf("%w (check --tenant %q [$%s]: main, your tenant id, or none for Kestra <= 0.22)",
			err, a.cfg.Tenant, envName("tenant"))
	}
	var netErr net.Error
	if a.serverDefault && !errors.As(err, new(*client.APIError)) && errors.As(err, &netErr) {
		return fmt.Errorf("%w (no server configured, so the default %s was tried: set --server or $%s)", err, a.cfg.Server, envName("server"))
	}
	return err
}

// flowCount is "1 flow", "3 flows".
func flowCount(n int) string {
	if n == 1 {
		return "1 flow"
	}
	return fmt.Sprintf("%d flows", n)
}
