package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
)

// Error codes of the Guard's answers, in the API's error body. They extend
// the codes of package events and, like them, are append-only.
const (
	CodeUnauthorized events.Code = "unauthorized" // 401: no token, or not a valid one
	CodeForbidden    events.Code = "forbidden"    // 403: the token's role may not use the route
)

// CookieName is the cookie that carries the web interface's token.
const CookieName = "lex_token"

// ReloadEvery bounds how often the Guard looks at the token file for
// changes: a token added or revoked takes effect within this time.
const ReloadEvery = time.Second

// Guard enforces the route policy with the tokens of a token file, which it
// reads again when the file changes. It is safe for concurrent use.
type Guard struct {
	path   string
	log    *slog.Logger
	routes map[string]Route

	mu      sync.Mutex
	file    *File
	stamp   fileStamp
	refused fileStamp // the file as last refused on reload, logged once
	checked time.Time
	warned  map[string]bool // patterns without a policy, logged once
}

// fileStamp tells that the token file changed: its content, or its mode
// or owner, which chmod and chown change without touching the time.
type fileStamp struct {
	mod  time.Time
	size int64
	mode fs.FileMode
	uid  int
}

func stampOf(st fs.FileInfo) fileStamp {
	uid, _ := ownerOf(st)
	return fileStamp{st.ModTime(), st.Size(), st.Mode(), uid}
}

// readServed reads the token file for a server, refusing one that others
// may write (checkSafe). The checks and the read are of one open file, so
// that a file swapped in between is not read unchecked.
func readServed(path string) (*File, fileStamp, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fileStamp{}, fmt.Errorf("token file %s does not exist: create it with 'ledger token add --file %s --name NAME --role admin'", path, path)
		}
		return nil, fileStamp{}, fmt.Errorf("token file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("token file: %w", err)
	}
	if err := checkSafe(path, st); err != nil {
		return nil, fileStamp{}, err
	}
	data, err := io.ReadAll(fh)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("read token file: %w", err)
	}
	f, err := parseFile(path, data)
	return f, stampOf(st), err
}

// NewGuard reads the token file at path and returns its Guard, which
// applies Routes. The file must exist and be valid, and only its owner may
// write it; it may hold no tokens yet (then only public routes answer, and
// the log says so). On Unix systems a file that its group or other users
// may write, or that belongs to a user other than root or this process's,
// is refused with an error that says how to fix it (chmod 600, chown), as
// sshd refuses such an authorized_keys.
func NewGuard(path string, log *slog.Logger) (*Guard, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{path: path, log: log.With("component", "auth"), routes: map[string]Route{}, warned: map[string]bool{}}
	for _, rt := range Routes {
		g.routes[rt.Pattern] = rt
	}
	var err error
	if g.file, g.stamp, err = readServed(path); err != nil {
		return nil, err
	}
	g.checked = time.Now()
	if g.stamp.mode.Perm()&0o044 != 0 {
		g.log.Warn("the token file is readable by others: it holds no secrets, but chmod 600 it", "file", path, "mode", g.stamp.mode.Perm().String())
	}
	if len(g.file.Tokens) == 0 {
		g.log.Warn("the token file holds no tokens: only public routes answer; add one with 'ledger token add'", "file", path)
	}
	return g, nil
}

// tokens returns the current tokens, reading the file again if it changed
// since it was last read (looked at once per ReloadEvery at most). A file
// that became unreadable, invalid or writable by others leaves the tokens
// as they were, read when the file was safe, and the log says so as an
// error, once per change of the file: a running server goes on serving
// rather than stopping, and takes the file again once it is fixed.
func (g *Guard) tokens() *File {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.checked) < ReloadEvery {
		return g.file
	}
	g.checked = time.Now()
	st, err := os.Stat(g.path)
	if err != nil {
		g.log.Error("cannot read the token file: keeping the tokens read before", "file", g.path, "err", err)
		return g.file
	}
	stamp := stampOf(st)
	if stamp == g.stamp || stamp == g.refused {
		return g.file
	}
	f, stamp, err := readServed(g.path)
	if err != nil {
		g.refused = stampOf(st)
		g.log.Error("the token file changed and is refused: keeping the tokens read before", "file", g.path, "err", err)
		return g.file
	}
	g.file, g.stamp, g.refused = f, stamp, fileStamp{}
	g.log.Info("token file reloaded", "file", g.path, "tokens", len(f.Tokens))
	return g.file
}

type principalKey struct{}

// Principal is who made a request: the token's name and role.
type Principal struct {
	Name string
	Role Role
}

// PrincipalFrom returns the principal that the Guard put in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Identify returns the recording identity of a request that the Guard let
// through: the token's name and "@http", such as "alice@http". It fits
// httpapi.Server.Identify. A request without a principal (a route the
// Guard did not guard) is refused with CodeUnauthorized, so that nothing is
// recorded without a name.
func Identify(r *http.Request) (string, error) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return "", events.Errorf(CodeUnauthorized, "this request carries no authenticated identity: send 'Authorization: Bearer TOKEN'")
	}
	return p.Name + "@http", nil
}

// Handler wraps mux: requests for routes of mux pass only with a token
// whose role the policy allows; the sign-in page of the web interface
// (/ui/login, /ui/logout) is served by the Guard itself.
func (g *Guard) Handler(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case loginPath:
			g.login(w, r)
			return
		case logoutPath:
			g.logout(w, r)
			return
		}
		_, pattern := mux.Handler(r)
		if pattern == "" || pattern == "/" {
			mux.ServeHTTP(w, r) // no route: its 404 (or 405, or redirect)
			return
		}
		rt, ok := g.routes[pattern]
		if !ok {
			rt = Route{Pattern: pattern} // admin only
			g.mu.Lock()
			if !g.warned[pattern] {
				g.warned[pattern] = true
				g.log.Warn("route has no access policy: admin only (add it to auth.Routes)", "pattern", pattern)
			}
			g.mu.Unlock()
		}
		if rt.Public {
			mux.ServeHTTP(w, r)
			return
		}
		secret, fromCookie := bearer(r)
		if secret == "" {
			g.unauthorized(w, r, fmt.Sprintf("%s %s needs a token: send the header 'Authorization: Bearer TOKEN' (the command lines take --token or $LEDGER_TOKEN); an admin makes tokens with 'ledger token add'", r.Method, r.URL.Path), false)
			return
		}
		tok, ok := g.tokens().Lookup(secret)
		if !ok {
			g.log.Info("refused a token that is not valid", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "cookie", fromCookie)
			msg := "the token is not valid (mistyped, or revoked): check it, or ask an admin for a new one ('ledger token add')"
			if fromCookie {
				msg = "the token this browser signed in with is no longer valid: sign in again at " + loginPath
			}
			g.unauthorized(w, r, msg, true)
			return
		}
		if !rt.allows(tok.Role) {
			g.log.Info("forbidden", "name", tok.Name, "role", tok.Role, "method", r.Method, "path", r.URL.Path)
			writeError(w, http.StatusForbidden, events.Errorf(CodeForbidden, "%s is %s %s; %s %s needs the role %s: ask an admin for a token with that role",
				tok.Name, article(tok.Role), tok.Role, r.Method, r.URL.Path, rt.needs()))
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, Principal{Name: tok.Name, Role: tok.Role})
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearer returns the secret a request presents: the Authorization header,
// or on GET and HEAD the web interface's cookie. A cookie is never taken
// for a request that changes anything, so another site cannot make a
// signed-in browser record or sign.
func bearer(r *http.Request) (secret string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest), false
		}
		return "", false
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
			return c.Value, true
		}
	}
	return "", false
}

func (g *Guard) unauthorized(w http.ResponseWriter, r *http.Request, msg string, invalid bool) {
	challenge := `Bearer realm="lexledger"`
	if invalid {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	if wantsPage(r) {
		g.loginPage(w, r, http.StatusUnauthorized, "")
		return
	}
	writeError(w, http.StatusUnauthorized, events.Errorf(CodeUnauthorized, "%s", msg))
}

func article(r Role) string {
	if r == Auditor || r == Admin {
		return "an"
	}
	return "a"
}

// writeError answers err in the API's error body, {"error": {"code", "message"}}.
func writeError(w http.ResponseWriter, status int, err *events.Error) {
	_, body := ledger.DescribeError(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(body)
}
