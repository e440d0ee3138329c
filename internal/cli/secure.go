package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/lexledger/lexledger/auth"
)

// ServeFlags are a serve command's flags for its HTTP address:
// authentication (--auth) and TLS (--tls-cert, --tls-key).
type ServeFlags struct {
	auth, cert, key *string
}

// AddServeFlags defines --auth, --tls-cert and --tls-key on fs.
func AddServeFlags(fs *flag.FlagSet) *ServeFlags {
	return &ServeFlags{
		auth: fs.String("auth", EnvOr("LEDGER_AUTH", ""), "require bearer tokens from this token file (made with 'ledger token add'; reread when it changes); without it HTTP is open to anyone who reaches the address ($LEDGER_AUTH)"),
		cert: fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (and chain); with --tls-key"),
		key:  fs.String("tls-key", "", "the PEM private key of --tls-cert"),
	}
}

// HTTPSecurity is what a serve command applies to its HTTP server: a
// Guard when --auth is given, and TLS when --tls-cert is.
type HTTPSecurity struct {
	guard *auth.Guard
	tls   *tls.Config
	log   *slog.Logger
}

// Open checks the flags: it reads the token file and the key pair, and
// logs a warning when the address answers more than this machine without
// authentication, or carries tokens without TLS.
func (f *ServeFlags) Open(addr string, log *slog.Logger) (*HTTPSecurity, error) {
	s := HTTPSecurity{log: log}
	if (*f.cert == "") != (*f.key == "") {
		return nil, fmt.Errorf("give both --tls-cert and --tls-key, or neither")
	}
	if *f.cert != "" {
		pair, err := tls.LoadX509KeyPair(*f.cert, *f.key)
		if err != nil {
			return nil, fmt.Errorf("TLS key pair %s, %s: %w (give a PEM certificate and its PEM private key)", *f.cert, *f.key, err)
		}
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	}
	if *f.auth != "" {
		g, err := auth.NewGuard(*f.auth, log)
		if err != nil {
			return nil, err
		}
		s.guard = g
	}
	switch {
	case s.guard == nil && !loopback(addr):
		log.Warn("HTTP is open: anyone who reaches this address may record and read; give --auth FILE (see docs/OPERATIONS.md)", "http", addr)
	case s.guard != nil && s.tls == nil && !loopback(addr):
		log.Warn("tokens travel in clear text: give --tls-cert and --tls-key, or put a TLS proxy in front", "http", addr)
	}
	return &s, nil
}

// loopback reports whether addr listens on this machine only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler wraps mux with the Guard; mux itself without --auth.
func (s *HTTPSecurity) Handler(mux *http.ServeMux) http.Handler {
	if s.guard == nil {
		return mux
	}
	return s.guard.Handler(mux)
}

// Identify is the recording identity of a request for httpapi.Server: the
// token's name with --auth, nil (anonymous) without.
func (s *HTTPSecurity) Identify() func(*http.Request) (string, error) {
	if s.guard == nil {
		return nil
	}
	return auth.Identify
}

// Scheme is "https" with TLS, "http" without.
func (s *HTTPSecurity) Scheme() string {
	if s.tls != nil {
		return "https"
	}
	return "http"
}

// Serve serves hs on ln, with TLS (1.2 at least) when configured. It
// returns what http.Server.Serve returns.
func (s *HTTPSecurity) Serve(hs *http.Server, ln net.Listener) error {
	if s.tls == nil {
		return hs.Serve(ln)
	}
	hs.TLSConfig = s.tls
	if hs.ErrorLog == nil && s.log != nil {
		// Failed handshakes (a client that does not trust the CA, or
		// speaks TLS 1.1) go to the server's log, not to standard error.
		hs.ErrorLog = slog.NewLogLogger(s.log.With("component", "http").Handler(), slog.LevelWarn)
	}
	return hs.ServeTLS(ln, "", "")
}

// Run serves hs on ln, as Serve does, until ctx ends, then shuts it down
// (RunHTTP): an actor of a run group.
func (s *HTTPSecurity) Run(ctx context.Context, hs *http.Server, ln net.Listener, grace time.Duration) error {
	return RunHTTP(ctx, hs, ln, s.Serve, grace)
}

// RunHTTP serves hs on ln with serve until ctx ends or serving fails (the
// listener broke), then shuts hs down: it takes no more connections and
// gives the requests in flight grace to finish before it closes those
// left. It returns serve's error, wrapped with the address, or else the
// shutdown's; nil after a clean stop.
func RunHTTP(ctx context.Context, hs *http.Server, ln net.Listener, serve func(*http.Server, net.Listener) error, grace time.Duration) error {
	served := make(chan error, 1)
	go func() { served <- serve(hs, ln) }()
	var err error
	select {
	case err = <-served:
		err = fmt.Errorf("HTTP server on %s stopped: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil {
		hs.Close()
		if err == nil {
			err = fmt.Errorf("HTTP shutdown: %w", serr)
		}
	}
	if err == nil {
		<-served // http.ErrServerClosed, at once
	}
	return err
}

// ClientFlags are the flags of a command that calls the HTTP API:
// --token and --ca.
type ClientFlags struct {
	token, ca *string
}

// AddClientFlags defines --token and --ca on fs.
func AddClientFlags(fs *flag.FlagSet) *ClientFlags {
	return &ClientFlags{
		token: fs.String("token", EnvOr("LEDGER_TOKEN", ""), "the bearer token of a server run with --auth ($LEDGER_TOKEN; the environment keeps it out of the process list)"),
		ca:    fs.String("ca", EnvOr("LEDGER_CA", ""), "trust the HTTPS server certificates signed by the PEM certificates in this file, for a private CA ($LEDGER_CA)"),
	}
}

// Client returns a client of the API at base with the flags' token and
// CA. A CA file that cannot be used is reported by the client's first
// request.
func (f *ClientFlags) Client(base string) *Client {
	c := NewClient(base)
	c.token = *f.token
	if *f.ca != "" {
		pem, err := os.ReadFile(*f.ca)
		if err != nil {
			c.err = fmt.Errorf("--ca: %w", err)
			return c
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			c.err = fmt.Errorf("--ca %s holds no PEM certificate: give the CA's certificate, such as ca.pem", *f.ca)
			return c
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
		c.http.Transport = tr
	}
	return c
}
