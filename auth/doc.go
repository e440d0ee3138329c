// Package auth is access control for the HTTP servers of `ledger serve` and
// `projector serve`: who may call which route.
//
// A token file lists named tokens, each with a role (clerk, auditor, admin)
// and the SHA-256 hash of its secret; the secret itself is printed once, when
// the token is made, and never stored. A Guard wraps a server's
// http.ServeMux: it looks up each request's route in the route policy
// (Routes), answers 401 when a token is needed and missing or not valid, 403
// when the token's role may not use the route, and otherwise hands the
// request on with the token's name in its context, where Identify finds it
// for the ledger's recorded_by. Public routes (/healthz, /readyz,
// /openapi.yaml) and paths no route serves (their 404) pass untouched.
//
// Browsers cannot add a header to a page load, so the web interface signs in
// once at /ui/login: the token is kept in an HttpOnly, SameSite=Strict cookie
// that the Guard accepts on GET and HEAD requests only.
package auth
