package auth

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/lexledger/lexledger/events"
)

// The web interface's sign-in routes, served by the Guard.
const (
	loginPath  = "/ui/login"
	logoutPath = "/ui/logout"
)

// cookieMaxAge bounds how long a browser keeps its sign-in: 12 hours.
const cookieMaxAge = 12 * 60 * 60

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Lex Ledger</title><link rel="stylesheet" href="/ui/static/style.css"></head>
<body>
<header class="site"><div class="wrap"><span class="brand">Lex Ledger</span></div></header>
<main id="main" class="wrap">
<h1>Sign in</h1>
<p>This ledger asks for a token. Paste the token an administrator gave you (<code>ledger token add</code> prints it once).
Auditors and administrators may read these pages.</p>
{{if .Message}}<p role="alert"><strong>{{.Message}}</strong></p>{{end}}
<form method="post" action="/ui/login">
<input type="hidden" name="next" value="{{.Next}}">
<label>Token <input type="password" name="token" autocomplete="off" required autofocus size="50"></label>
<button type="submit">Sign in</button>
</form>
<p>The token is kept in a cookie of this browser for this site only, for 12 hours at most, and sent with page loads, not with changes.</p>
</main></body></html>
`))

// wantsPage reports whether the request is a browser loading a page.
func wantsPage(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// safeNext returns where to go after signing in: a path of this site, or /.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || next == loginPath {
		return "/"
	}
	return next
}

func (g *Guard) loginPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	next := r.URL.RequestURI()
	if r.URL.Path == loginPath {
		next = r.FormValue("next")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	loginTmpl.Execute(w, struct{ Next, Message string }{safeNext(next), msg})
}

// login serves GET /ui/login (the form) and POST /ui/login (the token is
// checked, kept in the cookie, and the browser sent on to next).
func (g *Guard) login(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		g.loginPage(w, r, http.StatusOK, "")
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		secret := strings.TrimSpace(r.FormValue("token"))
		tok, ok := g.tokens().Lookup(secret)
		if !ok {
			g.loginPage(w, r, http.StatusUnauthorized, "That token is not valid (mistyped, or revoked). Check it, or ask an administrator for a new one.")
			return
		}
		g.log.Info("signed in to the web interface", "name", tok.Name, "role", tok.Role)
		http.SetCookie(w, &http.Cookie{Name: CookieName, Value: secret, Path: "/", MaxAge: cookieMaxAge,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, safeNext(r.FormValue("next")), http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeError(w, http.StatusMethodNotAllowed, events.Errorf(events.CodeInvalid, "%s takes GET (the form) or POST (the token)", loginPath))
	}
}

// logout serves /ui/logout (any method; signing out is harmless): the
// cookie is cleared.
func (g *Guard) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, loginPath, http.StatusSeeOther)
}
