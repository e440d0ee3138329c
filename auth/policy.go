package auth

// Route is one line of the route policy: a pattern exactly as a server
// registers it on its http.ServeMux, and who may use it.
type Route struct {
	Pattern string
	Public  bool   // anyone, without a token
	Roles   []Role // the roles that may use it besides admin, who may use every route
}

var (
	clerks   = []Role{Clerk}
	auditors = []Role{Auditor}
	readers  = []Role{Clerk, Auditor} // an act's history
)

// Routes is the route policy of `ledger serve` and `projector serve`. A
// route that a server registers and this table does not name is open to
// admin only (and the Guard logs it), so that a route added without a
// policy fails closed; a path no route serves keeps its 404.
var Routes = []Route{
	// Public: probes and the API's description.
	{Pattern: "GET /healthz", Public: true},
	{Pattern: "GET /readyz", Public: true},
	{Pattern: "GET /openapi.yaml", Public: true},
	{Pattern: "GET /ui/static/", Public: true}, // the style sheet and script, also of the sign-in page

	// The clerks' API (package httpapi).
	{Pattern: "POST /v1/events", Roles: clerks},
	{Pattern: "GET /v1/history", Roles: readers},
	{Pattern: "GET /v1/history/{act...}", Roles: readers},
	{Pattern: "GET /v1/events", Roles: auditors}, // the whole stream, for replay and export

	// The auditors' queries, proofs and exports (package projector).
	{Pattern: "GET /v1/acts", Roles: auditors},
	{Pattern: "GET /v1/act", Roles: auditors},
	{Pattern: "GET /v1/timeline", Roles: auditors},
	{Pattern: "GET /v1/text", Roles: auditors},
	{Pattern: "GET /v1/versions", Roles: auditors},
	{Pattern: "GET /v1/text/diff", Roles: auditors},
	{Pattern: "GET /v1/diff", Roles: auditors},
	{Pattern: "GET /v1/projection", Roles: auditors},
	{Pattern: "GET /v1/checkpoint", Roles: auditors},
	{Pattern: "POST /v1/checkpoints", Roles: auditors},
	{Pattern: "GET /v1/proof", Roles: auditors},
	{Pattern: "GET /v1/consistency", Roles: auditors},
	{Pattern: "GET /v1/audit", Roles: auditors},
	{Pattern: "GET /v1/export", Roles: auditors},

	// The auditors' web interface (package web).
	{Pattern: "GET /{$}", Roles: auditors},
	{Pattern: "GET /ui/{$}", Roles: auditors},
	{Pattern: "GET /ui/act", Roles: auditors},
	{Pattern: "GET /ui/jurisdiction", Roles: auditors},
	{Pattern: "GET /ui/events", Roles: auditors},

	// Operators. Prometheus scrapes with an auditor's token (or an admin's).
	{Pattern: "GET /metrics", Roles: auditors},
	{Pattern: "GET /v1/admin/stream"}, // admin only
}

// allows reports whether role may use the route.
func (rt Route) allows(role Role) bool {
	if rt.Public || role == Admin {
		return true
	}
	for _, r := range rt.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// needs names who may use the route, for a 403's message.
func (rt Route) needs() string {
	s := ""
	for _, r := range rt.Roles {
		s += string(r) + " or "
	}
	return s + string(Admin)
}
