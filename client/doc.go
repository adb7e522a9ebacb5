// Package client talks to Kestra's REST API: paths, tenants, authentication,
// retries, paging and typed errors. It knows nothing about migrations.
//
// Every call takes a context, retries network errors, 429 and 5xx answers with
// exponential backoff and jitter (honouring Retry-After), and never retries
// other 4xx answers. Credentials never appear in logs or errors: the server
// URL's userinfo is stripped at construction and the Authorization header is
// added by the transport on a private copy of each request.
//
// The client deliberately has no call for Kestra's bulk or namespace-replace
// endpoints (POST /flows/bulk, POST /flows/{namespace}): their default
// delete=true removes every flow missing from the body.
package client
