package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // profiles on --pprof's address only
	"path/filepath"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/internal/rungroup"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/web"
	"github.com/nats-io/nats.go"
)

// Defaults of ledger serve.
const (
	defaultData     = "./data"
	defaultHTTP     = "127.0.0.1:8080"
	defaultNATSPort = 4222
	shutdownGrace   = 15 * time.Second
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := cli.NewFlags("serve", "ledger serve [flags]", stderr)
	data := fs.String("data", cli.EnvOr("LEDGER_DATA", defaultData), "directory of the embedded JetStream store ($LEDGER_DATA)")
	httpAddr := fs.String("http", cli.EnvOr("LEDGER_HTTP", defaultHTTP), "address of the clerks' HTTP API ($LEDGER_HTTP)")
	natsURL := fs.String("nats-url", cli.EnvOr("LEDGER_NATS_URL", ""), "connect to this NATS server or cluster (comma-separated URLs) instead of embedding one ($LEDGER_NATS_URL)")
	auth := cli.AddNATSAuth(fs)
	natsUsers := fs.String("nats-users", cli.EnvOr("LEDGER_NATS_USERS", ""), "name the senders of NATS commands in recorded_by (NAME@nats) with this file of public keys and names, the users.json that 'ledger nats-config' writes, on a server it configured ($LEDGER_NATS_USERS); a key not in the file is recorded as KEY@nats; without the file, every NATS command is recorded as anonymous@nats")
	natsPort := fs.Int("nats-port", defaultNATSPort, "client port of the embedded NATS server on 127.0.0.1 (0 picks a free one)")
	syncMode := fs.String("sync", "always", "embedded server durability: 'always' fsyncs every write before acknowledging it; 'interval' lets the server fsync every 2 minutes (faster; a power loss can lose the last acknowledged writes)")
	replicas := fs.Int("replicas", 1, "stream replicas when the stream is created (3 on a cluster)")
	stream := fs.String("stream", natsjs.DefaultStream, "JetStream stream name")
	logFormat := fs.String("log", "text", "log format: text or json")
	pprofAddr := fs.String("pprof", "", "serve Go's profiles (net/http/pprof) on this address, such as 127.0.0.1:6060; off by default")
	withProjector := fs.Bool("projector", true, "also run a projector in process and serve its queries on the same address")
	keyFile := fs.String("checkpoint-key", "", "the projector signs checkpoints with the nkey seed in this file (created if missing); default: DATA/checkpoint.nk when the server is embedded, none otherwise")
	security := cli.AddServeFlags(fs) // --auth, --tls-cert, --tls-key
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if auth.Set() && *natsURL == "" {
		return errors.New("--nats-nkey and --nats-ca log in to a server of your own: give its address with --nats-url (the embedded server has no access control)")
	}
	if *natsUsers != "" && *natsURL == "" {
		return errors.New("--nats-users names the users of a server of your own: give its address with --nats-url (the embedded server has no users)")
	}
	callers, err := natsauth.LoadUsers(*natsUsers)
	if err != nil {
		return err
	}
	if *syncMode != "always" && *syncMode != "interval" {
		return fmt.Errorf("--sync must be 'always' or 'interval', not %q", *syncMode)
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	defer func() {
		if err == nil {
			log.Info("ledger stopped")
		}
	}()
	httpSec, err := security.Open(*httpAddr, log)
	if err != nil {
		return err
	}

	// Resources, released by the defers in the reverse order: the
	// connection is drained, then the embedded server stops.
	url := *natsURL
	if url == "" {
		dir, _ := filepath.Abs(*data)
		unlock, err := lockData(dir, "serving it")
		if err != nil {
			return err
		}
		defer unlock()
		srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: dir, Port: *natsPort, SyncAlways: *syncMode == "always"})
		if err != nil {
			return err
		}
		defer func() {
			srv.Shutdown()
			srv.WaitForShutdown()
			log.Info("embedded NATS server stopped")
		}()
		url = srv.ClientURL()
		log.Info("embedded NATS server started", "url", url, "data", dir, "sync", *syncMode)
	}
	st, err := auth.Open(ctx, url, cli.StreamOptions{Name: "lexledger-serve", Hint: "is the server running? without --nats-url the ledger embeds one",
		Extra:  []nats.Option{nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false)},
		Config: natsjs.Config{Stream: *stream, Replicas: *replicas}, Views: *withProjector})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Warn("drain NATS connection", "err", err)
		}
	}()
	store := st.Store
	reg := metrics.NewRegistry()
	led := ledger.New(store, ledger.Options{Logger: log, Observe: reg.Ledger().Observe})
	defer led.Close()
	svc, err := natsjs.Serve(st.Conn, led, natsjs.ServiceOptions{Identity: "anonymous@nats", Callers: callers})
	if err != nil {
		return fmt.Errorf("NATS service: %w", err)
	}
	defer svc.Stop()
	api := &httpapi.Server{Ledger: led, Stream: store, Log: log, Health: func(ctx context.Context) error {
		_, err := store.LastSeq(ctx)
		return err
	}, Identify: httpSec.Identify(), StreamAdmin: streamAdmin(store)}
	mux := http.NewServeMux()
	api.Routes(mux)
	var ui *web.Server // the auditors' web interface, with the projector
	var proj *projector.Service
	if *withProjector {
		popts := projector.Options{Feed: true, Logger: log}
		if *keyFile == "" && *natsURL == "" {
			*keyFile = filepath.Join(*data, "checkpoint.nk")
		}
		if *keyFile != "" {
			kp, pub, err := projector.LoadOrCreateKey(*keyFile)
			if err != nil {
				return err
			}
			popts.Signer = kp
			log.Info("signing checkpoints", "public_key", pub, "key_file", *keyFile)
		}
		proj = projector.New(store, st.Views, popts)
		if err := proj.Restore(ctx); err != nil {
			return err
		}
		(&httpapi.Queries{Projector: proj, Log: log}).Routes(mux)
		ui = web.New(proj, web.Options{Logger: log})
		ui.Routes(mux)
	}
	mountOps(mux, reg, store, proj)
	mux.HandleFunc("/", httpapi.NotFound)
	var pprofLn net.Listener
	if *pprofAddr != "" {
		if pprofLn, err = net.Listen("tcp", *pprofAddr); err != nil {
			return fmt.Errorf("cannot listen on %s for --pprof: %w", *pprofAddr, err)
		}
	}
	ln, err := listen("tcp", *httpAddr)
	if err != nil {
		if pprofLn != nil {
			pprofLn.Close()
		}
		return fmt.Errorf("cannot listen on %s for HTTP (is another ledger running? choose another address with --http): %w", *httpAddr, err)
	}
	hs := &http.Server{Handler: httpSec.Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	if ui != nil {
		hs.RegisterOnShutdown(ui.Close) // live streams end, so as not to hold the shutdown
	}
	log.Info("ledger ready", "http", httpSec.Scheme()+"://"+ln.Addr().String(), "nats", url, "record_subject", natsjs.SubjectRecord, "stream", *stream)
	fmt.Fprintf(stdout, "ledger: serving HTTP on %s://%s and NATS requests on %s (%s)\n", httpSec.Scheme(), ln.Addr(), natsjs.SubjectRecord, url)

	c := components{httpSec: httpSec, hs: hs, ln: ln, pprofLn: pprofLn, svc: svc, led: led, proj: proj}
	return c.run(ctx, log)
}

// listen opens the HTTP listener; tests replace it to break the listener.
var listen = net.Listen

// components are what ledger serve runs once it is set up.
type components struct {
	httpSec     *cli.HTTPSecurity
	hs          *http.Server
	ln, pprofLn net.Listener // pprofLn is nil without --pprof
	svc         *natsjs.Service
	led         *ledger.Ledger
	proj        *projector.Service // nil without --projector
}

// run runs the components as one group until ctx ends or one of them
// stops, then stops the others, and returns the first error.
func (c components) run(ctx context.Context, log *slog.Logger) error {
	// The components stop in the order they are added: stop taking
	// requests and let those in flight finish (each batch is atomic, so
	// nothing is half-written); then stop the sequencer; then the
	// projector. Any one stopping stops all.
	g := rungroup.Group{Log: log}
	g.Add("signal", rungroup.Context(ctx, func() { log.Info("shutting down: finishing in-flight appends") }))
	if c.pprofLn != nil {
		// http.DefaultServeMux holds the profiles (net/http/pprof).
		ps := &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
		g.Add("pprof", func(ctx context.Context) error {
			return cli.RunHTTP(ctx, ps, c.pprofLn, (*http.Server).Serve, time.Second)
		})
	}
	g.Add("http", func(ctx context.Context) error { return c.httpSec.Run(ctx, c.hs, c.ln, shutdownGrace) })
	g.Add("nats-service", func(ctx context.Context) error {
		select {
		case <-c.svc.Done():
			return errors.New("the NATS service stopped: its connection to NATS closed")
		case <-ctx.Done():
			return c.svc.Stop()
		}
	})
	g.Add("sequencer", func(ctx context.Context) error {
		<-ctx.Done()
		return c.led.Close()
	})
	if c.proj != nil {
		g.Add("projector", func(ctx context.Context) error {
			err := c.proj.Run(ctx)
			if err != nil && ctx.Err() == nil {
				// The ledger goes on taking writes; the projector's queries
				// answer as of where it stopped, and /readyz says not ready.
				log.Error("the in-process projector stopped: its views no longer follow the stream; fix the cause and restart", "err", err)
				<-ctx.Done()
			} else if err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("projector stopped", "err", err)
			}
			return nil
		})
	}
	return g.Run()
}

// mountOps mounts GET /metrics and GET /readyz: ready when the stream
// answers and, when proj is not nil, the projector has caught up with it.
func mountOps(mux *http.ServeMux, reg *metrics.Registry, store *natsjs.Store, proj *projector.Service) {
	checks := []httpapi.Check{httpapi.StreamCheck(store.Config().Stream, store.LastSeq)}
	if proj != nil {
		reg.Watch(store, proj)
		checks = append(checks, httpapi.ProjectorCheck(proj.CaughtUp, proj.DefectNote))
	} else {
		reg.Watch(store, nil)
	}
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /readyz", httpapi.Ready(checks...))
}
